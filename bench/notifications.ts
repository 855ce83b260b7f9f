/**
 * npm run bench:notifications
 *
 * CPU per applied Stripe event, with and without our outbox (issue #12). Each mode boots the service in
 * sandbox mode on a fresh database, makes N 3-D Secure payments complete at the emulator (so the inbox holds
 * their signed webhooks, worker off), then measures the worker applying the whole inbox until everything
 * downstream is done:
 *   without    domain_events INSERTs turned into no-ops by a rule (the apply path as it was before #12)
 *   written    events written in each apply's transaction, the outbox horizon following, no endpoint
 *   delivered  the same plus one notification endpoint: every event signed and POSTed to a local receiver
 *              (a separate process, not counted), measured until every delivery is recorded
 * CPU = this process (service + idle in-process emulator) + the PostgreSQL backends of the database (/proc).
 *
 * Env: DATABASE_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres), BENCH_EVENTS (N, 300).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Client } from 'pg';
import { StripeContext } from '@app/stripe';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/configuration';
import { WebhookWorker } from '../src/webhooks/webhook-worker.service';
import { BENCH_API_KEY } from './bench-utils';

const ADMIN = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = Number(process.env.BENCH_EVENTS ?? 300);
const KEY = BENCH_API_KEY;
type Mode = 'without' | 'written' | 'delivered';

const TICK_MS = 1000 / 100; // USER_HZ
async function backendCpuMs(db: Client): Promise<Map<number, number>> {
  const { rows } = await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      /* gone */
    }
  }
  return out;
}
const pgDelta = (a: Map<number, number>, b: Map<number, number>) => [...b].reduce((sum, [pid, ms]) => sum + ms - (a.get(pid) ?? 0), 0);

async function until(what: string, check: () => Promise<boolean>, ms = 300_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function startReceiver(): Promise<{ url: string; stop: () => void }> {
  const code = `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.writeHead(204).end()); })
    .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) =>
    child.stdout.once('data', (d) => resolve({ url: `http://127.0.0.1:${String(d).trim()}/hook`, stop: () => child.kill() })),
  );
}

async function run(mode: Mode) {
  const name = `bench_notify_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url.toString(),
    API_KEYS: `bench:${KEY}:read+write+refunds+admin`,
    LOG_LEVEL: 'error',
    WEBHOOK_WORKER_ENABLED: 'false',
    RECONCILE_INTERVAL_SECONDS: '0',
    // The setup's creates would meet the per-key budget (100/s) and be answered 429: the apply path is measured.
    RATE_LIMIT_PER_KEY_PER_SECOND: '1000000',
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  const receiver = mode === 'delivered' ? await startReceiver() : undefined;
  try {
    const emulator = app.get(StripeContext).emulatorUrl!;
    const call = (method: string, path: string, payload?: object) =>
      app.inject({ method: method as 'POST', url: path, payload, headers: { authorization: `Bearer ${KEY}` } });
    // Setup (not measured): N payments waiting for 3-D Secure, then completed at the "bank".
    const intents: string[] = [];
    for (let i = 0; i < N; i++) {
      const p = (
        await call('POST', '/v1/payments', {
          amount: 2000,
          currency: 'usd',
          paymentMethod: 'pm_card_authenticationRequired',
          confirm: true,
        })
      ).json();
      intents.push(p.stripePaymentIntentId);
    }
    await fetch(`${emulator}/_emulator/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"advanceSeconds":2}',
    });
    for (const pi of intents) await fetch(`${emulator}/_emulator/3ds/${pi}?result=success`, { redirect: 'manual' });
    await until('every payment_intent.succeeded in the inbox', async () => {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM webhook_events WHERE type = 'payment_intent.succeeded'`);
      return rows[0].n >= N;
    });
    await new Promise((r) => setTimeout(r, 1000)); // stragglers (charge.*) land
    const [{ max }] = (await db.query(`SELECT coalesce(max(seq), 0)::text AS max FROM domain_events`)).rows;
    if (receiver) {
      const res = await call('POST', '/v1/notification-endpoints', { url: receiver.url, events: ['*'] });
      if (res.statusCode !== 201) throw new Error(`endpoint: ${res.body}`);
    }
    await until('the horizon caught up with setup', async () => {
      const { rows } = await db.query(`SELECT position::text FROM outbox_cursors WHERE name = 'horizon'`);
      return BigInt(rows[0].position) >= BigInt(max);
    });

    // After the setup: the API's one-statement create inserts its events in a data-modifying WITH, which a DO
    // INSTEAD NOTHING rule refuses. The measured part (the worker's applies) inserts them plainly.
    if (mode === 'without') await db.query(`CREATE RULE bench_no_outbox AS ON INSERT TO domain_events DO INSTEAD NOTHING`);
    const cpu0 = process.cpuUsage();
    const pg0 = await backendCpuMs(db);
    const t0 = performance.now();
    const applied = await app.get(WebhookWorker).drain();
    await until('everything downstream done', async () => {
      const { rows } = await db.query(
        `SELECT (SELECT coalesce(max(seq), 0) FROM domain_events) AS last, (SELECT position FROM outbox_cursors WHERE name = 'horizon') AS horizon,
                (SELECT count(*) FROM notification_deliveries WHERE status <> 'delivered') AS open`,
      );
      return rows[0].last === rows[0].horizon && Number(rows[0].open) === 0;
    });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const pgMs = pgDelta(pg0, await backendCpuMs(db));
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM domain_events WHERE seq > $1)::int AS events, (SELECT count(*) FROM notification_attempts)::int +
              (SELECT count(*) FROM notification_deliveries WHERE delivered_attempt_id IS NOT NULL)::int AS posts`,
      [max],
    );
    return { mode, applied, events: rows[0].events, posts: rows[0].posts, appMs: (cpu.user + cpu.system) / 1000, pgMs, wallMs };
  } finally {
    receiver?.stop();
    await db.end();
    await app.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function main() {
  const results: Array<Awaited<ReturnType<typeof run>>> = [];
  for (const mode of ['without', 'written', 'delivered'] as Mode[]) results.push(await run(mode));
  const base = results[0];
  const perEvent = (r: Awaited<ReturnType<typeof run>>) => (r.appMs + r.pgMs) / r.applied;
  console.log(`\nMachine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${N} 3-D Secure payments per mode`);
  console.log('mode       applied  events  POSTs  app CPU ms  PG CPU ms  CPU ms/applied  vs without  wall ms');
  for (const r of results)
    console.log(
      `${r.mode.padEnd(10)} ${String(r.applied).padStart(7)} ${String(r.events).padStart(7)} ${String(r.posts).padStart(6)} ` +
        `${r.appMs.toFixed(0).padStart(11)} ${r.pgMs.toFixed(0).padStart(10)} ${perEvent(r).toFixed(3).padStart(15)} ` +
        `${`${(((perEvent(r) - perEvent(base)) / perEvent(base)) * 100).toFixed(1)}%`.padStart(11)} ${r.wallMs.toFixed(0).padStart(8)}`,
    );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
