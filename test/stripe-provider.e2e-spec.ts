import { StripeContext } from '@app/stripe';
import { startStripeEmulator, StripeEmulator } from '@app/stripe-emulator';
import { loadConfig } from '../src/config/configuration';
import { bootApp } from './utils/app';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig({ NODE_ENV: 'test', ...env });
    return [];
  } catch (error) {
    return (error as { problems: string[] }).problems;
  }
};

describe('Stripe provider (libs/stripe)', () => {
  it('sandbox mode: in-process emulator, our webhook endpoint registered through POST /v1/webhook_endpoints, its secret trusted, a banner', async () => {
    const t = await bootApp();
    try {
      const context = t.app.get(StripeContext);
      await context.webhookEndpointReady;
      expect(context).toMatchObject({ mode: 'sandbox', livemode: false, publishableKey: 'pk_test_emulator' });
      const endpoints = (await (
        await fetch(`${context.emulatorUrl}/v1/webhook_endpoints`, { headers: { authorization: 'Bearer sk_test_emulator' } })
      ).json()) as { data: unknown[] };
      expect(endpoints.data).toEqual([expect.objectContaining({ url: `${t.url}/v1/webhooks/stripe`, enabled_events: ['*'] })]);
      expect(context.webhookSecrets).toEqual([expect.stringMatching(/^whsec_/)]);
      expect(t.logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringContaining('No real money moves') }));
      expect((await t.request({ url: '/v1/config' })).json()).toEqual({
        publishableKey: 'pk_test_emulator',
        sandbox: true,
        emulatorUrl: context.emulatorUrl,
        livemode: false,
        demoPrices: [
          expect.objectContaining({ id: 'price_sandbox_demo_monthly', interval: 'month' }),
          expect.objectContaining({ id: 'price_sandbox_demo_yearly', interval: 'year' }),
        ],
      });
    } finally {
      await t.close();
    }
  });

  describe('with a key and an API base URL (an emulator the test started)', () => {
    let emulator: StripeEmulator;
    beforeAll(async () => {
      emulator = await startStripeEmulator({ port: 0 });
    });
    afterAll(() => emulator.close());

    it('uses it, registers nothing (a configured STRIPE_WEBHOOK_SECRET means an endpoint exists), keeps the secrets, answers the publishable key', async () => {
      const t = await bootApp({
        env: {
          STRIPE_SECRET_KEY: 'sk_test_external',
          STRIPE_API_BASE_URL: emulator.url,
          STRIPE_PUBLISHABLE_KEY: 'pk_test_abc',
          STRIPE_WEBHOOK_SECRET: 'whsec_configured',
        },
      });
      try {
        const context = t.app.get(StripeContext);
        expect(context).toMatchObject({ mode: 'test', livemode: false, webhookSecrets: ['whsec_configured'], emulatorUrl: emulator.url });
        expect((await t.request({ url: '/v1/config' })).json()).toEqual({
          publishableKey: 'pk_test_abc',
          sandbox: false,
          emulatorUrl: null,
          livemode: false,
          demoPrices: [],
        });
        const created = await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'ext@example.com' } });
        expect(created.statusCode).toBe(201);
        const log = (
          (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { data: Array<{ method: string; path: string }> }
        ).data;
        expect(log.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/customers']);
      } finally {
        await t.close();
      }
    });
  });

  it.each([
    [{ STRIPE_SECRET_KEY: 'sk_live_abc', STRIPE_API_BASE_URL: 'http://127.0.0.1:12111' }, 'STRIPE_API_BASE_URL'],
    [{ STRIPE_PUBLISHABLE_KEY: 'pk_live_abc' }, 'STRIPE_PUBLISHABLE_KEY'],
    [{ STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_PUBLISHABLE_KEY: 'pk_live_abc' }, 'STRIPE_PUBLISHABLE_KEY'],
    [{ NODE_ENV: 'production', DATABASE_URL: 'postgres://x@127.0.0.1/db', API_KEYS: 'ops:0123456789abcdef0123' }, 'STRIPE_SECRET_KEY'],
    [{ STRIPE_TIMEOUT_MS: '10' }, 'STRIPE_TIMEOUT_MS'],
  ])('refuses to boot with %j (names %s)', (env, name) => {
    expect(problemsOf(env)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${name}: `))]));
  });
});
