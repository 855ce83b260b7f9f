import { API_KEY } from './utils/app';
import { createTestDatabase, query, TestDatabase } from './utils/database';
import { runService, ServiceProcess } from './utils/process';
import { signedDelivery, stripeEvent, WEBHOOK_SECRET } from './utils/stripe-signing';
import { until } from './utils/wait';

const SHUTDOWN_TIMEOUT_SECONDS = 10;

// SIGTERM while signed webhooks and API calls keep coming (issue #11): the process must end on its own, in time,
// with exit code 0, and every event it acknowledged must be in the inbox, none left claimed.
describe('shutdown under load (real process)', () => {
  let db: TestDatabase;
  const env = (url: string) => ({
    DATABASE_URL: url,
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    API_KEYS: `test:${API_KEY}:read+write+refunds+admin`,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
    RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_KEY_PER_SECOND: '1000000',
    RECONCILE_INTERVAL_SECONDS: '0',
  });

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('exits 0 within SHUTDOWN_TIMEOUT_SECONDS, answers 503 problem+json from SIGTERM on, loses no acknowledged event and leaves none claimed', async () => {
    const service = await runService(env(db.url), 60_000);
    const acknowledged: string[] = [];
    const refusals: Array<{ status: number; type: string | null }> = [];
    const apiStatuses: number[] = [];
    let running = true;

    const webhookSender = async () => {
      while (running) {
        const event = stripeEvent('customer.updated', { id: `cus_shutdown_${acknowledged.length}`, object: 'customer', metadata: {} });
        const { payload, headers } = signedDelivery(event);
        try {
          const res = await fetch(`${service.url}/v1/webhooks/stripe`, { method: 'POST', headers, body: payload });
          await res.arrayBuffer();
          if (res.ok) acknowledged.push(event.id);
          else refusals.push({ status: res.status, type: res.headers.get('content-type') });
        } catch {
          // Connection refused or reset once the server stopped listening: Stripe retries those too.
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    const apiCaller = async () => {
      while (running) {
        try {
          const res = await fetch(`${service.url}/v1/customers`, {
            method: 'POST',
            headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'load@example.com' }),
          });
          await res.arrayBuffer();
          apiStatuses.push(res.status);
        } catch {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    const load = [...Array.from({ length: 8 }, webhookSender), apiCaller(), apiCaller()];

    try {
      // A backlog the worker is busy with, and API calls in flight, when the signal comes.
      await until(
        'a backlog of acknowledged events',
        async () => acknowledged.length,
        (n) => n >= 1500,
        60_000,
      );
      await until(
        'API calls served',
        async () => apiStatuses.filter((s) => s === 201).length,
        (n) => n >= 5,
        30_000,
      );
      const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
      const signalledAt = Date.now();
      service.child.kill('SIGTERM');
      await until(
        'the SIGTERM acknowledged',
        async () => service.output(),
        (out) => out.includes('SIGTERM received'),
      );
      // From that moment readiness (like every new request) is 503 problem+json, or the port is already closed.
      const ready = await fetch(`${service.url}/health/ready`).then(
        async (res) => ({ status: res.status, type: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after') }),
        () => null,
      );
      if (ready) expect(ready).toEqual({ status: 503, type: expect.stringContaining('application/problem+json'), retryAfter: '1' });

      const code = await exited;
      const elapsedMs = Date.now() - signalledAt;
      running = false;
      await Promise.all(load);

      expect({ code, output: code === 0 ? '' : service.output().slice(-4000) }).toEqual({ code: 0, output: '' });
      expect(elapsedMs).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS * 1000);
      // Refused while shutting down: 503 problem+json only (no plain-JSON 503, no 500).
      for (const refusal of refusals) expect(refusal).toEqual({ status: 503, type: expect.stringContaining('application/problem+json') });
      expect(apiStatuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);

      const rows = await query<{ id: string; status: string; locked_until: Date | null }>(
        db.url,
        `SELECT id, status, locked_until FROM webhook_events WHERE id = ANY($1)`,
        [acknowledged],
      );
      const stored = new Set(rows.map((r) => r.id));
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      expect(rows.filter((r) => r.status === 'processing' || r.locked_until !== null)).toEqual([]);
    } finally {
      running = false;
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
      await Promise.all(load);
    }

    // What this instance left (released or never claimed) is taken by the next one at once, not after a 60 s lease.
    const next: ServiceProcess = await runService(env(db.url), 60_000);
    try {
      await until(
        'every acknowledged event processed by the next instance',
        () => query<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM webhook_events WHERE status <> 'processed'`),
        ([row]) => row.n === 0,
        30_000,
      );
    } finally {
      await next.stop();
    }
  }, 180_000);
});
