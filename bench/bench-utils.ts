/** Shared by the webhook benchmarks: databases, CPU accounting of child processes and PostgreSQL, event bodies. */
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { AppConfig, loadConfig } from '../src/config/configuration';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';

// autocannon ships no types; the part used here.
export interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p90: number; p99: number; max: number };
}
type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: AutocannonResult) => void) => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const autocannon: Autocannon = require('autocannon');

/**
 * A realistic ~2.4 KB payment_intent.succeeded event, pretty-printed as Stripe sends it. Built once as a
 * template; each request splices in a new event id, PaymentIntent id and timestamp, so the load generator
 * (on the same 2 cores) spends microseconds, not the server's CPU, per request.
 */
export type EventBody = (eventId: string, created: number, paymentIntentId?: string, localId?: string) => string;

/** Each call splices in the event id, `created`, the PaymentIntent id (default from the event id) and our payment id. */
export function eventTemplate(): EventBody {
  const EVT = '@@EVT@@';
  const PI = '@@PI@@';
  const LOCAL = '@@LOCAL@@';
  const CREATED = 1234567890;
  const pi = PI;
  const ch = `ch_${randomBytes(12).toString('hex')}`;
  const event = {
    id: EVT,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: CREATED,
    data: {
      object: {
        id: pi,
        object: 'payment_intent',
        amount: 4999,
        amount_capturable: 0,
        amount_details: { tip: {} },
        amount_received: 4999,
        application: null,
        application_fee_amount: null,
        automatic_payment_methods: null,
        canceled_at: null,
        cancellation_reason: null,
        capture_method: 'automatic',
        client_secret: `${pi}_secret_${randomBytes(12).toString('hex')}`,
        confirmation_method: 'automatic',
        created: CREATED,
        currency: 'eur',
        customer: `cus_${randomBytes(7).toString('hex')}`,
        description: 'Order #48213 - 3 items',
        invoice: null,
        last_payment_error: null,
        latest_charge: ch,
        livemode: false,
        metadata: { payments_service_id: LOCAL, order_id: '48213', channel: 'web' },
        next_action: null,
        on_behalf_of: null,
        payment_method: `pm_${randomBytes(12).toString('hex')}`,
        payment_method_configuration_details: null,
        payment_method_options: {
          card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
        },
        payment_method_types: ['card'],
        processing: null,
        receipt_email: 'customer@example.com',
        review: null,
        setup_future_usage: null,
        shipping: {
          address: { city: 'Berlin', country: 'DE', line1: 'Friedrichstrasse 123', line2: null, postal_code: '10117', state: null },
          carrier: null,
          name: 'Erika Mustermann',
          phone: '+49301234567',
          tracking_number: null,
        },
        source: null,
        statement_descriptor: null,
        statement_descriptor_suffix: null,
        status: 'succeeded',
        transfer_data: null,
        transfer_group: null,
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: `req_${randomBytes(7).toString('hex')}`, idempotency_key: `stripe-node-retry-${randomBytes(16).toString('hex')}` },
    type: 'payment_intent.succeeded',
  };
  const parts = JSON.stringify(event, null, 2).split(/(@@EVT@@|@@PI@@|@@LOCAL@@|1234567890)/);
  return (eventId, created, paymentIntentId = `pi_${eventId.slice(4)}`, localId = '7d1c0a52-3f55-4f0e-9d0c-1f0b7f6c2a11') => {
    let out = '';
    for (const p of parts)
      out += p === EVT ? eventId : p === PI ? paymentIntentId : p === LOCAL ? localId : p === String(CREATED) ? String(created) : p;
    return out;
  };
}

export async function prepareDatabase(prefix = 'bench_webhooks'): Promise<{ url: string; cleanup(): Promise<void>; where: string }> {
  const admin = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `${prefix}_${Date.now()}`;
  try {
    const c = new Client({ connectionString: admin });
    await c.connect();
    await c.query(`CREATE DATABASE "${name}"`);
    await c.end();
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      where: `PostgreSQL server ${url.host}, fresh database ${name}`,
      cleanup: async () => {
        const d = new Client({ connectionString: admin });
        await d.connect();
        await d.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await d.end();
      },
    };
  } catch {
    const dir = mkdtempSync(join(tmpdir(), 'bench-webhooks-pg-'));
    const db = await startEmbeddedPostgres({ dataDir: dir });
    return {
      url: db.url,
      where: `embedded PostgreSQL in ${dir}`,
      cleanup: async () => (await db.stop(), rmSync(dir, { recursive: true, force: true })),
    };
  }
}

export async function cpuOf(child: ChildProcess): Promise<number> {
  const { user, system } = await cpuPartsOf(child);
  return user + system;
}

/** CPU milliseconds spent between two readings of cpuPartsOf: in all, and of it the kernel's. */
export function cpuSpent(before: { user: number; system: number }, after: { user: number; system: number }) {
  return { ms: after.user + after.system - before.user - before.system, systemMs: after.system - before.system };
}

/** A child's CPU milliseconds so far, user and system (the kernel's share: sockets, mostly). */
export function cpuPartsOf(child: ChildProcess): Promise<{ user: number; system: number }> {
  return new Promise((resolve) => {
    const on = (m: { cpu?: NodeJS.CpuUsage }) => {
      if (!m.cpu) return;
      child.off('message', on);
      resolve({ user: m.cpu.user / 1000, system: m.cpu.system / 1000 });
    };
    child.on('message', on);
    child.send('cpu');
  });
}

/**
 * CPU milliseconds the whole PostgreSQL server has used (postmaster + live children + reaped children),
 * read from /proc; only meaningful when the server runs on this machine (null otherwise).
 */
export async function postgresCpuMs(url: string): Promise<number | null> {
  try {
    const { readFileSync, readdirSync } = await import('node:fs');
    const c = new Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query(`SELECT split_part(pg_read_file('postmaster.pid'), E'\n', 1)::int AS pid`);
    await c.end();
    const postmaster = rows[0].pid as number;
    const fields = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const tick = 100; // USER_HZ
    const own = fields(postmaster);
    let total = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const f = fields(entry);
        if (Number(f[1]) === postmaster) total += Number(f[11]) + Number(f[12]);
      } catch {
        /* exited */
      }
    }
    return (total * 1000) / tick;
  } catch {
    return null;
  }
}

export async function stopChild(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.send('stop');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** BENCH_CPU_PROF=1: first call starts a CPU profile of this process, the second writes it to .bench/<name>.cpuprofile. */
let session: import('node:inspector').Session | undefined;
export async function toggleProfile(name: string) {
  const { Session } = await import('node:inspector');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  if (!session) {
    session = new Session();
    session.connect();
    session.post('Profiler.enable', () => session!.post('Profiler.start'));
    return;
  }
  const running = session;
  session = undefined;
  running.post('Profiler.stop', (_e, { profile: p }) => {
    mkdirSync('.bench', { recursive: true });
    writeFileSync(`.bench/${name}.cpuprofile`, JSON.stringify(p));
    running.disconnect();
  });
}

/**
 * CPU milliseconds used by the backends of one database (per /proc) between start() and stop(), other than
 * the sampling session's own: on a PostgreSQL server shared with other work only this database's sessions
 * count. Pools open and close connections meanwhile, so the backends are sampled every 200 ms: one that
 * exits loses at most its last 200 ms (idle, since it exits when idle). Server-wide processes (WAL writer,
 * checkpointer) are left out.
 */
export class BackendCpu {
  private readonly seen = new Map<number, number>();
  private baseline = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Client) {}

  async start(): Promise<void> {
    this.seen.clear();
    await this.sample();
    this.baseline = new Map(this.seen);
    this.timer = setInterval(() => void this.sample().catch(() => undefined), 200);
  }

  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.sample();
    let total = 0;
    for (const [pid, ticks] of this.seen) total += ticks - (this.baseline.get(pid) ?? 0);
    return total * 10; // USER_HZ = 100
  }

  private async sample(): Promise<void> {
    const { readFileSync } = await import('node:fs');
    const { rows } = await this.db.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    for (const { pid } of rows) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        this.seen.set(pid, Number(fields[11]) + Number(fields[12]));
      } catch {
        /* gone */
      }
    }
  }
}

/** Forks `file` as `serve <role> <databaseUrl>`; resolves once the child reports the port it listens on. */
export function forkServer(file: string, role: string, databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(file, ['serve', role, databaseUrl], {
    execArgv: ['-r', join(__dirname, 'swc-register.cjs')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve({ child, url: `http://127.0.0.1:${m.port}` }));
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

/** A benchmark script's entry: `serve <role> <url>` in a forked child, else the parent's main; failures exit 1. */
export function benchEntry(serve: (role: string, databaseUrl: string) => Promise<void>, main: () => Promise<void>): void {
  const run = process.argv[2] === 'serve' ? serve(process.argv[3], process.argv[4]) : main();
  run.catch((e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  });
}

/** The service's configuration in a benchmark: the given database and webhook secret, Stripe unreachable, no reconciliation. */
export function benchServiceConfig(databaseUrl: string, poolSize: number, webhookSecret: string, env: Record<string, string>): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(poolSize),
    API_KEYS: `bench:${BENCH_API_KEY}`,
    LOG_LEVEL: 'warn',
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_API_BASE_URL: 'http://127.0.0.1:9',
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    RECONCILE_INTERVAL_SECONDS: '0',
    ...env,
  });
}

/** The API key of every benchmark service (scopes read+write+refunds unless a bench widens them). */
export const BENCH_API_KEY = 'bench_key_0123456789abcdef';

/** The webhook signing secret of every benchmark service. */
export const SECRET = 'whsec_bench_0123456789abcdefghijklmnop';

/**
 * Counts the service's PostgreSQL round trips (each pg query call is one: BEGIN and COMMIT included), by
 * statement text, so the report can say how many statements one create costs.
 */
export function countStatements(): Map<string, number> {
  const counts = new Map<string, number>();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client: PgClient } = require('pg') as typeof import('pg');
  const query = PgClient.prototype.query as (...args: unknown[]) => unknown;
  PgClient.prototype.query = function (this: unknown, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    // Keyed by the text as given (normalised when reported): the count must cost next to nothing.
    const text = typeof config === 'string' ? config : (config?.text ?? '?');
    counts.set(text, (counts.get(text) ?? 0) + 1);
    return query.apply(this, args);
  } as typeof PgClient.prototype.query;
  return counts;
}
