import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runService, ServiceProcess } from './utils/process';
import { until } from './utils/wait';

// Booting embeds a PostgreSQL (initdb on the first start): slow on a loaded CI machine, so generous bounds.
const BOOT_MS = 120_000;
jest.setTimeout(400_000);

describe('the sandbox remembers Stripe across a restart (#10, real process on embedded defaults)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'payments-sandbox-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as another user that must reach the data dir
    // No DATABASE_URL, no STRIPE_*: embedded PostgreSQL and the in-process emulator, as `npm start`.
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      EMBEDDED_DATABASE_DIR: join(dir, 'postgres'),
      LOG_LEVEL: 'warn',
      RECONCILE_INTERVAL_SECONDS: '0',
    };
  });
  // PostgreSQL may still be removing its files for a moment after the service exited.
  afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));

  const client = (service: ServiceProcess) => {
    const key = /Authorization: Bearer (\S+)/.exec(service.output())?.[1];
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${service.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    return { call, post: (path: string, body: unknown = {}) => call('POST', path, body), get: (path: string) => call('GET', path) };
  };

  it('a customer created before a restart pays after it; a payment made before is refunded after it; webhooks still verify', async () => {
    const first = await runService(env, BOOT_MS);
    let second: ServiceProcess | undefined;
    try {
      const api = client(first);
      const customer = await api.post('/v1/customers', { email: 'remember@example.com', name: 'Ada' });
      expect(customer.status).toBe(201);
      const paid = await api.post('/v1/payments', {
        amount: 3000,
        currency: 'usd',
        customerId: customer.body.id,
        paymentMethod: 'pm_card_visa',
        confirm: true,
      });
      expect(paid.body).toMatchObject({ status: 'succeeded' });
      expect(await first.stop()).toBe(0);

      second = await runService(env, BOOT_MS);
      const after = client(second);
      const again = await after.post('/v1/payments', {
        amount: 1200,
        currency: 'usd',
        customerId: customer.body.id,
        paymentMethod: 'pm_card_visa',
        confirm: true,
      });
      expect(again).toMatchObject({ status: 201, body: { status: 'succeeded', customerId: customer.body.id } });
      const refund = await after.post('/v1/refunds', { paymentId: paid.body.id, amount: 1000 });
      expect(refund).toMatchObject({ status: 201, body: { status: 'succeeded', amount: 1000 } });
      expect((await after.get(`/v1/payments/${paid.body.id}?sync=true`)).body).toMatchObject({ status: 'succeeded', amountRefunded: 1000 });
      // The demo catalog seeded at the first boot is the one after the restart: same ids, nothing seeded twice.
      const config = (await after.get('/v1/config')).body;
      expect(config.demoPrices.map((p: { id: string }) => p.id)).toEqual(['price_sandbox_demo_monthly', 'price_sandbox_demo_yearly']);
      const prices = await fetch(`${config.emulatorUrl}/v1/prices?limit=100`, { headers: { authorization: 'Bearer sk_test_emulator' } });
      expect(((await prices.json()) as { data: Array<{ id: string }> }).data.map((p) => p.id).sort()).toEqual([
        'price_sandbox_demo_monthly',
        'price_sandbox_demo_yearly',
      ]);
      const patched = await after.call('PATCH', `/v1/customers/${customer.body.id}`, { name: 'Ada King' });
      expect(patched).toMatchObject({ status: 200, body: { name: 'Ada King' } });

      // The emulator kept its webhook endpoint and secret: events about the old payment arrive signed and are applied.
      await until(
        'the refund.created event delivered to the restarted service and applied',
        async () =>
          (await after.get('/v1/webhooks/events?limit=100')).body.data as Array<{ type: string; objectId: string; status: string }>,
        (events) =>
          events.some((e) => e.type === 'refund.created' && e.objectId === refund.body.stripeRefundId && e.status === 'processed'),
        30_000,
      );
      expect(await second.stop()).toBe(0);
      second = undefined;
      expect(existsSync(join(dir, 'postgres.stripe-sandbox.json'))).toBe(true);
    } finally {
      await second?.stop();
      if (first.child.exitCode === null) await first.stop();
    }
  });

  it('a database created afresh (its directory deleted) starts the emulator afresh too: no Stripe objects without rows', async () => {
    rmSync(join(dir, 'postgres'), { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    const fresh = await runService(env, BOOT_MS);
    try {
      expect((await client(fresh).get('/v1/customers')).body.data).toEqual([]);
      // The sandbox banner names the in-process emulator; ask it directly what it holds.
      const emulatorUrl = /in-process emulator at (http:\/\/[^\s.]+(?:\.[^\s.]+)*:\d+)/.exec(fresh.output())?.[1];
      const listed = await fetch(`${emulatorUrl}/v1/customers`, { headers: { authorization: 'Bearer sk_test_emulator' } });
      expect(((await listed.json()) as { data: unknown[] }).data).toEqual([]);
    } finally {
      expect(await fresh.stop()).toBe(0);
    }
  });
});
