import { StripeContext } from '@app/stripe';
import { ChildProcess, spawn } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import { bootApp, TestApp } from './utils/app';
import { until } from './utils/wait';

const CLI = join(__dirname, '..', 'dist', 'libs', 'stripe-emulator', 'src', 'cli.js');

/** `npm run emulator` without the build (npm test built dist/): the CLI as a real process. */
function runCli(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

// README "Against the standalone emulator": `npm run emulator`, then the service with STRIPE_API_BASE_URL.
describe('the standalone emulator (npm run emulator) with the service pointed at it (#15)', () => {
  let emulator: ReturnType<typeof runCli>;
  let emulatorUrl: string;
  let t: TestApp;
  beforeAll(async () => {
    emulator = runCli(['--port', '0']);
    emulatorUrl = (await until(
      'the emulator listening',
      async () => /listening on (http:\S+)/.exec(emulator.output()),
      Boolean,
      60_000,
    ))![1];
    t = await bootApp({
      env: { STRIPE_SECRET_KEY: 'sk_test_standalone', STRIPE_API_BASE_URL: emulatorUrl, RECONCILE_INTERVAL_SECONDS: '0' },
    });
    await t.app.get(StripeContext).webhookEndpointReady;
  });
  afterAll(async () => {
    await t?.close();
    emulator.child.kill('SIGTERM');
    await emulator.exited;
  });

  it('registers its webhook endpoint there at boot, so a 3-D Secure payment completes through webhooks, without ?sync=true', async () => {
    const endpoints = await fetch(`${emulatorUrl}/v1/webhook_endpoints`, { headers: { authorization: 'Bearer sk_test_standalone' } });
    expect(((await endpoints.json()) as { data: unknown[] }).data).toEqual([
      expect.objectContaining({
        url: `${t.url}/v1/webhooks/stripe`,
        description: 'payments-service (standalone emulator)',
        status: 'enabled',
      }),
    ]);
    const created = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: { amount: 2300, currency: 'usd', paymentMethod: 'pm_card_authenticationRequired', confirm: true },
    });
    expect(created.json()).toMatchObject({ status: 'requires_action' });
    const challenge = await fetch(`${emulatorUrl}/_emulator/3ds/${created.json().stripePaymentIntentId}?result=success`, {
      redirect: 'manual',
    });
    expect(challenge.status).toBeLessThan(400);
    await until(
      'the payment succeeded from the webhook',
      async () => (await t.request({ url: `/v1/payments/${created.json().id}` })).json(),
      (p) => p.status === 'succeeded',
      30_000,
    );
  });

  it('a second emulator on a port in use: one line naming --port, exit 1', async () => {
    const second = runCli(['--port', new URL(emulatorUrl).port]);
    expect(await second.exited).toBe(1);
    const lines = second.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/port \d+ is in use.*--port/);
  });

  it('a base URL that is not our emulator, without STRIPE_WEBHOOK_SECRET: a warning at boot says no event will arrive', async () => {
    const other: Server = createServer((_req, res) => res.writeHead(404).end('{}'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
    const elsewhere = await bootApp({
      env: { STRIPE_SECRET_KEY: 'sk_test_other', STRIPE_API_BASE_URL: base, RECONCILE_INTERVAL_SECONDS: '0' },
    });
    try {
      await elsewhere.app.get(StripeContext).webhookEndpointReady;
      expect(elsewhere.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          msg: expect.stringContaining(`STRIPE_API_BASE_URL ${base} is not this project's Stripe emulator`),
        }),
      );
      expect(elsewhere.app.get(StripeContext).webhookSecrets).toEqual([]);
    } finally {
      await elsewhere.close();
      other.close();
    }
  });
});
