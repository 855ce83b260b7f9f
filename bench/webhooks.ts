/**
 * npm run bench:webhooks
 *
 * Fires distinct signed `payment_intent.succeeded` events (~2 KB, a new event id each) at 50 connections
 * against (1) the naive receiver (verify + one INSERT per request) and (2) this service's receiver
 * (verify + group-committed INSERT), each in its own process on real PostgreSQL, then checks that every
 * acknowledged event id is a committed row. The worker is disabled: receiving is what is measured.
 *
 * Env: DATABASE_URL (else postgres://postgres@127.0.0.1:5432/postgres, else embedded), BENCH_SECONDS (10),
 * BENCH_CONNECTIONS (50).
 */
import { ChildProcess, fork } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/configuration';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { typeormOptions } from '../src/database/typeorm-options';
import { startNaiveReceiver } from './webhooks-naive';

// autocannon ships no types; the part used here.
interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p90: number; p99: number; max: number };
}
type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: AutocannonResult) => void) => unknown;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon: Autocannon = require('autocannon');

const SECRET = 'whsec_bench_0123456789abcdefghijklmnop';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const POOL = 10;

type Role = 'naive' | 'service';

// ---------------------------------------------------------------------------------------------
// Child process: one receiver.
// ---------------------------------------------------------------------------------------------
async function serve(role: Role, databaseUrl: string) {
  let close: () => Promise<void>;
  let port: number;
  if (role === 'naive') {
    const app = await startNaiveReceiver({ databaseUrl, secret: SECRET, poolSize: POOL });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
    close = () => app.close();
  } else {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(POOL),
      API_KEYS: 'bench:bench_key_0123456789abcdef',
      LOG_LEVEL: 'warn',
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_API_BASE_URL: 'http://127.0.0.1:9',
      STRIPE_WEBHOOK_SECRET: SECRET,
      WEBHOOK_WORKER_ENABLED: 'false',
      RECONCILE_INTERVAL_SECONDS: '0',
    });
    const app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
    close = () => app.close();
  }
  process.send!({ port });
  process.on('message', (m) => {
    if (m === 'stop') void close().then(() => process.exit(0));
    if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: database, load, verification, report.
// ---------------------------------------------------------------------------------------------
/**
 * A realistic ~2.4 KB payment_intent.succeeded event, pretty-printed as Stripe sends it. Built once as a
 * template; each request splices in a new event id, PaymentIntent id and timestamp, so the load generator
 * (on the same 2 cores) spends microseconds, not the server's CPU, per request.
 */
function eventTemplate(): (eventId: string, created: number) => string {
  const EVT = '@@EVT@@';
  const PI = '@@PI@@';
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
        metadata: { payments_service_id: '7d1c0a52-3f55-4f0e-9d0c-1f0b7f6c2a11', order_id: '48213', channel: 'web' },
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
  const parts = JSON.stringify(event, null, 2).split(/(@@EVT@@|@@PI@@|1234567890)/);
  return (eventId, created) => {
    const pid = `pi_${eventId.slice(4)}`;
    let out = '';
    for (const p of parts) out += p === EVT ? eventId : p === PI ? pid : p === String(CREATED) ? String(created) : p;
    return out;
  };
}

const paymentIntentSucceeded = eventTemplate();
let sequence = 0;
const runPrefix = randomBytes(6).toString('hex');

async function prepareDatabase(): Promise<{ url: string; cleanup(): Promise<void>; where: string }> {
  const admin = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_webhooks_${Date.now()}`;
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
    return { url: db.url, where: `embedded PostgreSQL in ${dir}`, cleanup: async () => (await db.stop(), rmSync(dir, { recursive: true, force: true })) };
  }
}

function startChild(role: Role, databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(__filename, ['serve', role, databaseUrl], { execArgv: ['-r', join(__dirname, 'webhooks-register.ts'), ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=.bench'] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve({ child, url: `http://127.0.0.1:${m.port}` }));
    child.once('exit', (code) => reject(new Error(`${role} receiver exited with ${code}`)));
  });
}

function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: { cpu?: NodeJS.CpuUsage }) => {
      if (!m.cpu) return;
      child.off('message', on);
      resolve((m.cpu.user + m.cpu.system) / 1000);
    };
    child.on('message', on);
    child.send('cpu');
  });
}

/** CPU milliseconds the PostgreSQL server's backends used, from pg_stat_activity pids via /proc (same machine only). */
async function postgresCpuMs(url: string): Promise<number | null> {
  try {
    const { readFileSync } = await import('node:fs');
    const c = new Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query(`SELECT pid FROM pg_stat_activity`);
    await c.end();
    const tick = 100; // USER_HZ
    let total = 0;
    for (const { pid } of rows) {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        total += ((Number(f[11]) + Number(f[12])) * 1000) / tick;
      } catch {
        /* gone */
      }
    }
    return total;
  } catch {
    return null;
  }
}

async function stopChild(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.send('stop');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

interface Run {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  acked: string[];
  non2xx: number;
  errors: number;
  bytes: number;
  cpuPerEventUs?: number;
  receiverCpuPct?: number;
  loadCpuPct?: number;
}

function fire(url: string, seconds: number): Promise<Run> {
  const acked: string[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/v1/webhooks/stripe`,
        connections: CONNECTIONS,
        duration: seconds,
        method: 'POST',
        requests: [
          {
            setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
              const id = `evt_${runPrefix}${(sequence++).toString(36).padStart(10, '0')}`;
              const t = Math.floor(Date.now() / 1000);
              const body = paymentIntentSucceeded(id, t);
              bytes = body.length;
              context.eventId = id;
              const v1 = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
              return { ...req, body, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` } };
            },
            onResponse: (status: number, _body: string, context: Record<string, unknown>) => {
              if (status === 200) acked.push(context.eventId as string);
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        const ok = result['2xx'];
        resolve({
          rps: ok / seconds,
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
          acked,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          bytes,
        });
      },
    );
  });
}

async function countCommitted(url: string, table: string, ids: string[]): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${table} WHERE id = ANY($1::text[])`, [ids]);
    return rows[0].n;
  } finally {
    await c.end();
  }
}

async function main() {
  const db = await prepareDatabase();
  try {
    // Schema through the real migrations; the naive table is a copy of the inbox.
    const ds = new DataSource(typeormOptions(db.url, 2, true));
    await ds.initialize();
    await ds.query('CREATE TABLE naive_webhook_events (LIKE webhook_events INCLUDING ALL)');
    const settings = await ds.query(`SELECT current_setting('synchronous_commit') AS sc, current_setting('fsync') AS fsync, version() AS v`);
    await ds.destroy();

    const results: Record<Role, Run & { committed: number }> = {} as never;
    for (const [role, table] of [
      ['naive', 'naive_webhook_events'],
      ['service', 'webhook_events'],
    ] as Array<[Role, string]>) {
      const { child, url } = await startChild(role, db.url);
      try {
        process.stdout.write(`${role}: warm-up 2 s, then ${SECONDS} s at ${CONNECTIONS} connections...\n`);
        const warm = await fire(url, 2);
        const cpuBefore = await cpuOf(child);
        const loadCpuBefore = process.cpuUsage();
        const run = await fire(url, SECONDS);
        const cpuMs = (await cpuOf(child)) - cpuBefore;
        const load = process.cpuUsage(loadCpuBefore);
        run.cpuPerEventUs = (cpuMs * 1000) / Math.max(1, run.acked.length);
        run.receiverCpuPct = (cpuMs / (SECONDS * 1000)) * 100;
        run.loadCpuPct = ((load.user + load.system) / 1000 / (SECONDS * 1000)) * 100;
        const allAcked = [...warm.acked, ...run.acked];
        const committed = await countCommitted(db.url, table, allAcked);
        results[role] = { ...run, committed: committed - warm.acked.length, acked: run.acked };
        if (committed !== allAcked.length) process.stdout.write(`  LOST: ${allAcked.length - committed} acknowledged events have no row\n`);
      } finally {
        await stopChild(child);
      }
    }

    const n = results.naive;
    const s = results.service;
    const row = (label: string, r: Run & { committed: number }) =>
      `| ${label.padEnd(34)} | ${r.rps.toFixed(0).padStart(8)} | ${r.p50.toFixed(0).padStart(5)} | ${r.p99.toFixed(0).padStart(5)} | ${r.max.toFixed(0).padStart(6)} | ${String(r.acked.length).padStart(7)} | ${String(r.committed).padStart(9)} | ${String(r.acked.length - r.committed).padStart(4)} | ${String(r.non2xx + r.errors).padStart(6)} | ${r.cpuPerEventUs!.toFixed(0).padStart(9)} | ${r.receiverCpuPct!.toFixed(0).padStart(8)}% | ${r.loadCpuPct!.toFixed(0).padStart(6)}% |`;
    const lines = [
      '',
      `Webhook receiving benchmark: ${CONNECTIONS} connections, ${SECONDS} s per design (after a 2 s warm-up), ~${(s.bytes / 1024).toFixed(1)} KB signed payment_intent.succeeded bodies, a new event id per request`,
      `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load generator on the same machine. Database: ${db.where}`,
      `PostgreSQL: synchronous_commit=${settings[0].sc}, fsync=${settings[0].fsync} (every 200 is given after COMMIT). Service worker disabled: receiving is measured.`,
      '',
      '| design                             | events/s |   p50 |   p99 | max ms |   acked | committed | lost | errors | µs CPU/ev | receiver | loadgen |',
      '|------------------------------------|----------|-------|-------|--------|---------|-----------|------|--------|-----------|----------|---------|',
      row('naive: verify + 1 INSERT/request', n),
      row('service: verify + group commit', s),
      '',
      `Ratio service/naive: ${(s.rps / n.rps).toFixed(2)}x (target >= 2x); service p99 ${s.p99} ms (target < 50 ms); lost ${s.acked.length - s.committed + (n.acked.length - n.committed)} (target 0)`,
      'Ceilings measured on this machine kind (shared/TOOLCHAIN.md): bare Fastify GET ~80k req/s; Nest+Fastify validated POST ~30k; Nest+Fastify one TypeORM INSERT ~3.7k.',
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    await db.cleanup();
  }
}

if (process.argv[2] === 'serve') {
  serve(process.argv[3] as Role, process.argv[4]).catch((e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  });
}
