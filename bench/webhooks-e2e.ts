/**
 * npm run bench:webhooks:e2e
 *
 * Webhooks end to end (#16): signed payment_intent.succeeded events that move EXISTING payments (seeded rows,
 * one event per payment, the payment in `processing`), received AND applied. Designs side by side, rounds
 * alternating, each in its own process on the same PostgreSQL database:
 *   naive    verify, then the payment's guarded UPDATE in the request, one commit per event (bench/webhooks-naive.ts)
 *   service  this service: verify, group-committed inbox INSERT, answer; the worker applies the inbox in batches
 *            (the mirror's lock-then-decide UPDATE and the domain event in the outbox, in one transaction)
 *   floor    (closed loop only) the naive route with no database work: verify and answer. Its acknowledged
 *            events/s bound every design's applied events/s on this machine, so the run says whether receiving
 *            alone rules the 2x target out.
 *   durable  (closed loop only) the floor of any design with the issue's guarantees: the floor's route, then each
 *            group-committed batch stored in the inbox, applied under the naive UPDATE's guards and announced in the
 *            outbox in ONE statement before the 200 (bench/webhooks-naive.ts). If it cannot reach a target, no design
 *            that stores, applies and announces every event can.
 *   pipeline (closed loop only) the service with its inbox write made a no-op: its own HTTP pipeline (hooks,
 *            guard, controller, parse) and nothing else, so the service's CPU splits into receiving and applying.
 * Sections:
 *   closed   BENCH_CONNECTIONS (50) connections for BENCH_SECONDS (10) per round, BENCH_ROUNDS (3) rounds; then the
 *            service's backlog is drained. Applied events/s = applied / (load + drain time).
 *   open     fixed arrival rates (BENCH_RATES, 250,500,1000,2000 events/s) for BENCH_OPEN_SECONDS (8) each.
 *   backlog  the worker alone (HTTP off), draining 1,000 and BENCH_BACKLOG (100,000) pending rows stored directly:
 *            CPU per applied event must not grow with the backlog. Also 10,000 events with the outbox written and
 *            with domain_events INSERTs turned into no-ops (a rule): the outbox's share of the apply cost.
 *   outbox   #12's clause: the closed loop (HTTP receiving on) with the outbox off (the same rule), written, and
 *            written AND delivered to one local receiver (a registered notification endpoint); CPU per applied
 *            event counted until the run's deliveries are all recorded. Target: delivered / off <= 1.25x. Plus the
 *            floor of any delivery design: written, and each event POSTed once by bench/outbox-floor-sender.ts
 *            (in the service's process) with no delivery rows at all.
 * CPU: the design's process (node) and the PostgreSQL backends of the bench's database (/proc; the server runs on
 * this machine and may be shared), per applied event.
 * Ack->applied: processed_at - received_at of the inbox rows (both stamped by PostgreSQL's clock).
 *
 * Env: DATABASE_URL (admin URL; else embedded), BENCH_SECTIONS (closed,open,backlog,outbox), BENCH_CPU_PROF=1 (.bench/*.cpuprofile
 * of the service process in round 1), BENCH_STATEMENTS=1 (statements per applied event, by text, after each run), plus
 * the service's own WEBHOOK_WORKER_BATCH / WEBHOOK_WORKER_CONCURRENCY.
 */
import type { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app';
import { typeormOptions } from '../src/database/typeorm-options';
import { WebhookInboxWriter } from '../src/webhooks/webhook-inbox.writer';
import { WebhookWorker } from '../src/webhooks/webhook-worker.service';
import {
  cpuPartsOf,
  cpuSpent,
  countStatements,
  BackendCpu,
  eventTemplate,
  prepareDatabase,
  stopChild,
  toggleProfile,
  autocannon,
  benchEntry,
  benchServiceConfig,
  forkServer,
  SECRET,
  BENCH_API_KEY,
} from './bench-utils';
import { FloorSender } from './outbox-floor-sender';
import { startDurableFloor, startFloorReceiver, startNaiveApplier } from './webhooks-naive';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATES = (process.env.BENCH_RATES ?? '250,500,1000,2000').split(',').map(Number);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
const SECTIONS = (process.env.BENCH_SECTIONS ?? 'closed,open,backlog,outbox').split(',');
const POOL = 10;
/** Upper bound of events one closed-loop round may send (payments are seeded for it). */
const ROUND_CAP = Number(process.env.BENCH_ROUND_CAP ?? 8_000 * SECONDS);
/** BENCH_STATEMENTS=1: after each measured run, the service's PostgreSQL statements per applied event, by text. */
const STATEMENTS = !!process.env.BENCH_STATEMENTS;

type Role = 'naive' | 'floor' | 'durable' | 'pipeline' | 'service' | 'worker';
/** The closed loop's designs, in the order each round (and the warm-up) runs them. */
const CLOSED_DESIGNS = ['naive', 'service', 'floor', 'durable', 'pipeline'] as const;
const body = eventTemplate();
const localIdOf = (k: number) => `00000000-0000-4000-8000-${k.toString(16).padStart(12, '0')}`;
const eventIdOf = (tag: string, k: number) => `evt_${tag}_${k.toString(36)}`;

// ---------------------------------------------------------------------------------------------
// Child process: one design.
// ---------------------------------------------------------------------------------------------
async function serve(role: Role, databaseUrl: string) {
  const statements = STATEMENTS ? countStatements() : undefined;
  process.on('message', (m) => {
    if (m === 'statements') process.send!({ statements: [...(statements ?? [])] });
    if (m === 'statements:reset') statements?.clear();
  });
  if (role === 'naive' || role === 'floor' || role === 'durable') {
    const start = { naive: startNaiveApplier, floor: startFloorReceiver, durable: startDurableFloor }[role];
    const app = await start({ databaseUrl, secret: SECRET, poolSize: POOL });
    await app.listen(0, '127.0.0.1');
    return listening(role, (app.getHttpServer().address() as { port: number }).port, () => app.close());
  }
  const config = benchServiceConfig(databaseUrl, POOL, SECRET, {
    // admin: the backlog section registers a notification endpoint (#12's delivered-outbox run).
    API_KEYS: `bench:${BENCH_KEY}:read+write+refunds+admin`,
    WEBHOOK_WORKER_ENABLED: role === 'service' ? 'true' : 'false',
    ...(process.env.WEBHOOK_WORKER_BATCH ? { WEBHOOK_WORKER_BATCH: process.env.WEBHOOK_WORKER_BATCH } : {}),
    ...(process.env.WEBHOOK_WORKER_CONCURRENCY ? { WEBHOOK_WORKER_CONCURRENCY: process.env.WEBHOOK_WORKER_CONCURRENCY } : {}),
  });

  const app = await createApp(config);
  // The service's own floor: its whole HTTP pipeline (hooks, guard, controller) with the inbox write a no-op.
  if (role === 'pipeline') app.get(WebhookInboxWriter).write = () => Promise.resolve();
  await app.listen(0, '127.0.0.1');
  process.on('message', (m) => {
    if (m === 'drain')
      void app
        .get(WebhookWorker)
        .drain()
        .then((n) => process.send!({ drained: n }));
  });
  const closeFloor = floorSenderOnMessages(databaseUrl);
  listening(role, (app.getHttpServer().address() as { port: number }).port, async () => {
    await closeFloor();
    await app.close();
  });
}

/** #12's floor sender, in the service's process (the outbox section starts, counts and stops it). */
function floorSenderOnMessages(databaseUrl: string) {
  let sender: FloorSender | undefined;
  process.on('message', (m: { floor?: 'start' | 'count' | 'stop'; url?: string; logged?: boolean }) => {
    if (m.floor === 'start')
      void (async () => {
        sender ??= await FloorSender.connect(databaseUrl, FLOOR_SECRET);
        await sender.start(m.url!, !!m.logged);
        process.send!({ floorStarted: true });
      })();
    if (m.floor === 'count') process.send!({ floorCount: sender?.count() ?? 0 });
    if (m.floor === 'stop') void sender?.stop().then((n) => process.send!({ floorStopped: n }));
  });
  return () => sender?.close() ?? Promise.resolve();
}

function listening(role: Role, port: number, close: () => Promise<void>) {
  process.send!({ port });
  process.on('message', (m) => {
    if (m === 'stop') void close().then(() => process.exit(0));
    if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
    if (m === 'profile') void toggleProfile(`e2e-${role}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Parent.
// ---------------------------------------------------------------------------------------------
interface Child {
  child: ChildProcess;
  url: string;
}

function startChild(role: Role, databaseUrl: string) {
  return forkServer(__filename, role, databaseUrl);
}

function ask<T>(child: ChildProcess, message: string | object, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      child.off('message', on);
      resolve(m[key] as T);
    };
    child.on('message', on);
    child.send(message);
  });
}

class Bench {
  private seeded = 0;
  private next = 1;

  readonly pgCpu: BackendCpu;

  constructor(readonly db: Client) {
    this.pgCpu = new BackendCpu(db);
  }

  /** Payments 1..upTo exist (status processing), one per future event. */
  async seed(upTo: number) {
    for (let from = this.seeded + 1; from <= upTo; from += 50_000) {
      const to = Math.min(upTo, from + 49_999);
      await this.db.query(
        `INSERT INTO payments (id, stripe_payment_intent_id, amount, currency, status, capture_method)
         SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'pi_e2e_' || g, 4999, 'eur', 'processing', 'automatic'
           FROM generate_series($1::int, $2::int) AS g`,
        [from, to],
      );
    }
    this.seeded = Math.max(this.seeded, upTo);
  }

  /** Reserves `count` fresh payments for a run; returns the first k. */
  async reserve(count: number): Promise<number> {
    const first = this.next;
    this.next += count;
    await this.seed(this.next - 1);
    return first;
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    return Number((await this.db.query(sql, params)).rows[0].n);
  }

  backlog(): Promise<number> {
    return this.count(`SELECT count(*) AS n FROM webhook_events WHERE status IN ('pending', 'processing')`);
  }

  succeeded(first: number, last: number): Promise<number> {
    return this.count(`SELECT count(*) AS n FROM payments WHERE status = 'succeeded' AND id BETWEEN $1::uuid AND $2::uuid`, [
      localIdOf(first),
      localIdOf(last),
    ]);
  }

  async lag(tag: string): Promise<{ p50: number; p99: number; max: number }> {
    const { rows } = await this.db.query(
      `SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), 0) AS p50,
              coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), 0) AS p99, coalesce(max(lag), 0) AS max
         FROM (SELECT extract(epoch FROM processed_at - received_at) * 1000 AS lag FROM webhook_events
                WHERE id LIKE $1 AND status = 'processed') l`,
      [`evt_${tag}_%`],
    );
    return { p50: Number(rows[0].p50), p99: Number(rows[0].p99), max: Number(rows[0].max) };
  }

  /** Waits until the inbox is empty of due work; returns the seconds it took. */
  async drain(timeoutS = 600): Promise<number> {
    const t0 = Date.now();
    while ((await this.backlog()) > 0) {
      if (Date.now() - t0 > timeoutS * 1000) throw new Error('backlog did not drain');
      await new Promise((r) => setTimeout(r, 100));
    }
    return (Date.now() - t0) / 1000;
  }
}

function fire(url: string, tag: string, first: number, cap: number, seconds: number, rate?: number) {
  let k = first;
  let acked = 0;
  return new Promise<{ acked: number; sent: number; p50: number; p99: number; errors: number }>((resolve, reject) => {
    autocannon(
      {
        url: `${url}/v1/webhooks/stripe`,
        // Open loop: enough connections that a slow answer (up to ~200 ms) does not hold the arrival rate back.
        connections: rate ? Math.max(CONNECTIONS, Math.ceil(rate / 5)) : CONNECTIONS,
        duration: seconds,
        // Closed loop: for `seconds` (payments are seeded for `cap` events); open loop: exactly rate x seconds events.
        ...(rate ? { overallRate: rate, amount: cap } : {}),
        method: 'POST',
        requests: [
          {
            setupRequest: (req: Record<string, unknown>) => {
              const n = k++;
              const t = Math.floor(Date.now() / 1000);
              const text = body(eventIdOf(tag, n), t, `pi_e2e_${n}`, localIdOf(n));
              const v1 = createHmac('sha256', SECRET).update(`${t}.${text}`).digest('hex');
              return { ...req, body: text, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` } };
            },
            onResponse: (status: number) => {
              if (status === 200) acked++;
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          acked,
          sent: k - first,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors: result.non2xx + result.errors + result.timeouts,
        });
      },
    );
  });
}

interface Row {
  section: string;
  design: Role;
  label: string;
  ackedPerS: number;
  appliedPerS: number;
  applied: number;
  httpP99: number;
  lagP50: number;
  lagP99: number;
  backlogAtEnd: number;
  drainS: number;
  nodeUs: number;
  /** Of nodeUs, the kernel's (system time). */
  nodeSysUs: number;
  pgUs: number;
  errors: number;
}

async function measure(
  bench: Bench,
  c: Child,
  design: Role,
  section: string,
  label: string,
  seconds: number,
  cap: number,
  rate?: number,
  profile = false,
  /** Part of the measured run after the drain (the delivered-outbox run waits for its deliveries here). */
  andThen?: (applied: number) => Promise<void>,
): Promise<Row> {
  const tag = `${design[0]}${randomBytes(3).toString('hex')}`;
  const first = await bench.reserve(cap);
  if (profile) c.child.send('profile');
  if (STATEMENTS) c.child.send('statements:reset');
  const node0 = await cpuPartsOf(c.child);
  await bench.pgCpu.start();
  const t0 = Date.now();
  const run = await fire(c.url, tag, first, cap, seconds, rate);
  const loadS = (Date.now() - t0) / 1000;
  const backlogAtEnd = design === 'service' ? await bench.backlog() : 0;
  const drainS = design === 'service' ? await bench.drain() : 0;
  if (andThen) await andThen(await bench.succeeded(first, first + run.sent - 1));
  const node = cpuSpent(node0, await cpuPartsOf(c.child));
  const pgMs = await bench.pgCpu.stop();
  if (profile) c.child.send('profile');
  // The floors apply nothing: what they acknowledged is their ceiling.
  const applied = design === 'floor' || design === 'pipeline' ? run.acked : await bench.succeeded(first, first + run.sent - 1);
  const lag = design === 'service' ? await bench.lag(tag) : { p50: 0, p99: 0 };
  if (STATEMENTS) await reportStatements(bench, c, label, applied);
  return {
    section,
    design,
    label,
    ackedPerS: run.acked / loadS,
    appliedPerS: applied / (loadS + drainS),
    applied,
    httpP99: run.p99,
    lagP50: lag.p50,
    lagP99: lag.p99,
    backlogAtEnd,
    drainS,
    nodeUs: (node.ms * 1000) / Math.max(1, applied),
    nodeSysUs: (node.systemMs * 1000) / Math.max(1, applied),
    pgUs: (pgMs * 1000) / Math.max(1, applied),
    errors: run.errors + Math.max(0, run.acked - applied),
  };
}

async function reportStatements(bench: Bench, c: Child, label: string, applied: number) {
  const counts = new Map<string, number>();
  for (const [raw, n] of await ask<Array<[string, number]>>(c.child, 'statements', 'statements')) {
    const text = raw.replace(/\s+/g, ' ').trim();
    counts.set(text, (counts.get(text) ?? 0) + n);
  }
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const lines = [...counts].sort((x, y) => y[1] - x[1]).map(([text, n]) => `    ${(n / applied).toFixed(3)}  ${text.slice(0, 150)}`);
  process.stdout.write(`  ${label}: ${(total / applied).toFixed(2)} statements per applied event\n${lines.join('\n')}\n`);
  // Row versions so far (cumulative): how many updates were HOT (no index entries written).
  const { rows } = await bench.db.query(
    `SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables WHERE n_tup_upd + n_tup_ins > 0 ORDER BY relname`,
  );
  for (const r of rows)
    process.stdout.write(`    table ${r.relname}: ins ${r.n_tup_ins} upd ${r.n_tup_upd} hot ${r.n_tup_hot_upd} del ${r.n_tup_del}\n`);
}

/** Stores `count` pending events directly (no HTTP), for the worker alone. */
async function storePending(bench: Bench, count: number, tag: string) {
  const first = await bench.reserve(count);
  const t = Math.floor(Date.now() / 1000);
  for (let i = 0; i < count; i += 500) {
    const values: string[] = [];
    const params: unknown[] = [];
    for (let j = i; j < Math.min(count, i + 500); j++) {
      const k = first + j;
      const id = eventIdOf(tag, k);
      params.push(id, t, `pi_e2e_${k}`, body(id, t, `pi_e2e_${k}`, localIdOf(k)));
      const b = params.length - 4;
      values.push(
        `($${b + 1}, 'payment_intent.succeeded', false, '2026-10-28.endive', $${b + 2}, $${b + 3}, $${b + 4}::json, 'pending', 'webhook')`,
      );
    }
    await bench.db.query(
      `INSERT INTO webhook_events (id, type, livemode, api_version, stripe_created, object_id, payload, status, source) VALUES ${values.join(', ')}`,
      params,
    );
  }
  return first;
}

async function workerAlone(
  bench: Bench,
  worker: Child,
  count: number,
  label: string,
  profile = false,
  /** Part of the measured run after the drain (the delivered-outbox run waits for its deliveries here). */
  andThen?: (applied: number) => Promise<void>,
): Promise<Row & { walPerEvent: number }> {
  const tag = `w${randomBytes(3).toString('hex')}`;
  const first = await storePending(bench, count, tag);
  await bench.db.query('VACUUM ANALYZE webhook_events');
  const wal0 = (await bench.db.query(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l as string;
  const node0 = await cpuPartsOf(worker.child);
  await bench.pgCpu.start();
  const t0 = Date.now();
  if (profile) worker.child.send('profile');
  const drained = await ask<number>(worker.child, 'drain', 'drained');
  if (profile) worker.child.send('profile');
  if (andThen) await andThen(await bench.succeeded(first, first + count - 1));
  const seconds = (Date.now() - t0) / 1000;
  const node = cpuSpent(node0, await cpuPartsOf(worker.child));
  const pgMs = await bench.pgCpu.stop();
  const wal = Number((await bench.db.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS n`, [wal0])).rows[0].n);
  const applied = await bench.succeeded(first, first + count - 1);
  return {
    section: 'backlog',
    design: 'worker',
    label,
    ackedPerS: 0,
    appliedPerS: applied / seconds,
    applied,
    httpP99: 0,
    lagP50: 0,
    lagP99: 0,
    backlogAtEnd: count - drained,
    drainS: seconds,
    nodeUs: (node.ms * 1000) / Math.max(1, applied),
    nodeSysUs: (node.systemMs * 1000) / Math.max(1, applied),
    pgUs: (pgMs * 1000) / Math.max(1, applied),
    errors: count - applied,
    walPerEvent: wal / Math.max(1, applied),
  };
}

const f = (v: number, d = 0) => v.toFixed(d);
function table(rows: Row[]): string[] {
  const head =
    '| section | design | run | acked/s | applied/s | applied | http p99 ms | ack->applied p50 / p99 ms | backlog at end | drain s | node µs/ev (of it kernel) | pg µs/ev | lost |';
  return [
    head,
    head.replace(/[^|]/g, '-'),
    ...rows.map(
      (r) =>
        `| ${r.section} | ${r.design} | ${r.label} | ${f(r.ackedPerS)} | ${f(r.appliedPerS)} | ${r.applied} | ${f(r.httpP99)} | ${f(r.lagP50)} / ${f(r.lagP99)} | ${r.backlogAtEnd} | ${f(r.drainS, 1)} | ${f(r.nodeUs)} (${f(r.nodeSysUs)}) | ${f(r.pgUs)} | ${r.errors} |`,
    ),
  ];
}

const BENCH_KEY = BENCH_API_KEY;

/** A receiver in this process (its own CPU is not counted) that answers 204 and counts what it got. */
async function localReceiver(): Promise<{ url: string; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume().on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received: () => received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Polls `count` until it reaches `target`; fails 5 minutes after `since`. */
async function reaches(count: () => Promise<number>, target: number, since: number, failure: string): Promise<void> {
  while ((await count()) < target) {
    if (Date.now() - since > 300_000) throw new Error(failure);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * #12: the outbox's cost with its events also delivered. A local receiver (in this parent process, so its
 * own CPU is not counted) answers 204, registered with `c` as a notification endpoint for every event type;
 * `run` gets a wait for `applied` deliveries recorded, to call inside its measured part, so node and
 * PostgreSQL CPU include the deliveries' claims, POSTs and records.
 */
async function withReceiver<T>(
  bench: Bench,
  c: Child,
  label: string,
  run: (delivered: (applied: number) => Promise<void>) => Promise<T>,
): Promise<T> {
  const receiver = await localReceiver();
  const headers = { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' };
  const created = await fetch(`${c.url}/v1/notification-endpoints`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ url: receiver.url, events: ['*'] }),
  });
  if (created.status !== 201) throw new Error(`notification endpoint: ${created.status} ${await created.text()}`);
  const endpoint = (await created.json()) as { id: string };
  const t0 = Date.now();
  try {
    const result = await run(async (applied) => {
      const delivered = () =>
        bench.count(`SELECT count(*) AS n FROM notification_deliveries WHERE endpoint_id = $1 AND status = 'delivered'`, [endpoint.id]);
      await reaches(delivered, applied, t0, 'deliveries did not finish');
    });
    process.stdout.write(`  ${label}: ${receiver.received()} deliveries received in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    return result;
  } finally {
    await fetch(`${c.url}/v1/notification-endpoints/${endpoint.id}`, {
      method: 'DELETE',
      headers: { authorization: headers.authorization },
    });
    await receiver.close();
  }
}

function workerAloneDelivered(bench: Bench, worker: Child, count: number, label: string): Promise<Row & { walPerEvent: number }> {
  return withReceiver(bench, worker, label, (delivered) => workerAlone(bench, worker, count, label, false, delivered));
}

const FLOOR_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

/**
 * #12's floor: the run with the outbox written, and each event POSTed once by a floor sender
 * (bench/outbox-floor-sender.ts) running in the service's process, so its CPU is counted with the service's,
 * to a local receiver, with no delivery rows at all, or (`logged`) one log row per delivery. Its PostgreSQL
 * backend is one of the bench database's.
 */
async function withFloorSender(
  c: Child,
  label: string,
  logged: boolean,
  run: (sent: (applied: number) => Promise<void>) => Promise<Row>,
): Promise<Row> {
  const receiver = await localReceiver();
  const t0 = Date.now();
  try {
    await ask(c.child, { floor: 'start', url: receiver.url, logged }, 'floorStarted');
    const row = await run(async (applied) => {
      const sent = () => ask<number>(c.child, { floor: 'count' }, 'floorCount');
      await reaches(sent, applied, t0, 'the floor sender did not finish');
    });
    await ask(c.child, { floor: 'stop' }, 'floorStopped');
    process.stdout.write(`  ${label}: ${receiver.received()} POSTs received in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    return row;
  } finally {
    await receiver.close();
  }
}

const noOutbox = {
  on: (db: Client) => db.query(`CREATE RULE bench_no_outbox AS ON INSERT TO domain_events DO INSTEAD NOTHING`),
  off: (db: Client) => db.query(`DROP RULE bench_no_outbox ON domain_events`),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const database = await prepareDatabase('bench_webhooks_e2e');
  const out: string[] = [];
  const log = (line: string) => {
    out.push(line);
    process.stdout.write(`${line}\n`);
  };
  try {
    const ds = new DataSource(typeormOptions(database.url, 2, true));
    await ds.initialize();
    await ds.destroy();
    const db = new Client({ connectionString: database.url });
    db.on('error', () => undefined); // the cleanup drops the database under it when a run failed: report that failure
    await db.connect();
    const bench = new Bench(db);
    log(
      `Webhooks end to end: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load avg ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} at start; ${database.where}`,
    );
    const rows: Row[] = [];
    const verdicts: string[] = [];

    if (SECTIONS.includes('closed') || SECTIONS.includes('open')) {
      const children = {
        naive: await startChild('naive', database.url),
        service: await startChild('service', database.url),
        floor: await startChild('floor', database.url),
        durable: await startChild('durable', database.url),
        pipeline: await startChild('pipeline', database.url),
      };
      try {
        for (const role of CLOSED_DESIGNS) await measure(bench, children[role], role, 'warm-up', 'warm-up', 2, 5_000);
        if (SECTIONS.includes('closed')) {
          for (let round = 1; round <= ROUNDS; round++)
            for (const role of CLOSED_DESIGNS) {
              process.stdout.write(`closed round ${round}/${ROUNDS} ${role}...\n`);
              const r = await measure(
                bench,
                children[role],
                role,
                'closed',
                `${round}`,
                SECONDS,
                ROUND_CAP,
                undefined,
                !!process.env.BENCH_CPU_PROF && round === 1,
              );
              rows.push(r);
            }
          const closed = (d: Role) => rows.filter((r) => r.section === 'closed' && r.design === d);
          const ratio = median(closed('service').map((r) => r.appliedPerS)) / median(closed('naive').map((r) => r.appliedPerS));
          const pgRatio = median(closed('service').map((r) => r.pgUs)) / median(closed('naive').map((r) => r.pgUs));
          verdicts.push(
            `closed loop: applied events/s service/naive = ${ratio.toFixed(2)}x (target >= 2x: ${ratio >= 2 ? 'MET' : 'NOT MET'}); ` +
              `PostgreSQL CPU per applied event service/naive = ${pgRatio.toFixed(2)}x (target <= 0.5x: ${pgRatio <= 0.5 ? 'MET' : 'NOT MET'}) (medians of rounds)`,
          );
          const ceiling = median(closed('floor').map((r) => r.ackedPerS)) / median(closed('naive').map((r) => r.appliedPerS));
          verdicts.push(
            `closed loop floor: the route that only verifies and answers (no database) acknowledged ${ceiling.toFixed(2)}x the naive design's applied events/s; ` +
              `no design that receives and verifies over HTTP applies faster, so receiving ${ceiling >= 2 ? 'does not rule out' : 'alone rules out'} the 2x target (medians of rounds)`,
          );
          const node = (d: Role) => median(closed(d).map((r) => r.nodeUs));
          const pipeline = median(closed('pipeline').map((r) => r.ackedPerS)) / median(closed('naive').map((r) => r.appliedPerS));
          verdicts.push(
            `closed loop pipeline: the service's own HTTP pipeline with no database acknowledged ${pipeline.toFixed(2)}x the naive design's applied events/s; ` +
              `node CPU per event: pipeline ${f(node('pipeline'))} µs of the service's ${f(node('service'))} (the bare floor's ${f(node('floor'))}) (medians of rounds)`,
          );
          const pg = (d: Role) => median(closed(d).map((r) => r.pgUs));
          const durable = median(closed('durable').map((r) => r.appliedPerS)) / median(closed('naive').map((r) => r.appliedPerS));
          verdicts.push(
            `closed loop durable floor: inbox row, guarded UPDATE and domain event in one statement per group-committed batch ` +
              `applied ${durable.toFixed(2)}x the naive design's events/s at ${(pg('durable') / pg('naive')).toFixed(2)}x its PostgreSQL CPU per event; ` +
              `a design that stores, applies and announces each event before its 200 ${durable >= 2 && pg('durable') <= 0.5 * pg('naive') ? 'can' : 'cannot'} ` +
              `meet both targets on this machine (medians of rounds)`,
          );
        }
        if (SECTIONS.includes('open')) {
          for (const rate of RATES)
            for (const role of ['naive', 'service'] as const) {
              process.stdout.write(`open ${rate}/s ${role}...\n`);
              rows.push(await measure(bench, children[role], role, 'open', `${rate}/s`, OPEN_SECONDS, rate * OPEN_SECONDS, rate));
            }
          for (const rate of RATES) {
            const [n, s] = (['naive', 'service'] as const).map((d) =>
              rows.find((r) => r.section === 'open' && r.design === d && r.label === `${rate}/s`)!,
            );
            const naiveKeeps = n.ackedPerS >= rate * 0.95 && n.errors === 0;
            const flat = s.backlogAtEnd <= Math.max(50, rate * 0.2) && s.lagP99 <= 1000;
            verdicts.push(
              `open ${rate}/s: naive ${naiveKeeps ? 'sustains it' : `does NOT sustain it (${f(n.ackedPerS)}/s)`}; service backlog at end ${s.backlogAtEnd}, ack->applied p99 ${f(s.lagP99)} ms` +
                (naiveKeeps ? ` (target backlog ~0 and p99 <= 1 s: ${flat ? 'MET' : 'NOT MET'})` : ''),
            );
          }
        }
      } finally {
        await Promise.all(Object.values(children).map((c) => stopChild(c.child)));
      }
    }

    if (SECTIONS.includes('backlog')) {
      const worker = await startChild('worker', database.url);
      try {
        await workerAlone(bench, worker, 1_000, 'warm-up');
        const small = await workerAlone(bench, worker, 1_000, '1,000 pending');
        const large = await workerAlone(bench, worker, BACKLOG, `${BACKLOG.toLocaleString('en')} pending`, !!process.env.BENCH_CPU_PROF);
        const written = await workerAlone(bench, worker, 10_000, '10,000, outbox written');
        const delivered = await workerAloneDelivered(bench, worker, 10_000, '10,000, outbox written + delivered to 1 receiver');
        await noOutbox.on(db);
        const without = await workerAlone(bench, worker, 10_000, '10,000, outbox off (rule)');
        await noOutbox.off(db);
        rows.push(small, large, written, delivered, without);
        const per = (r: Row) => r.nodeUs + r.pgUs;
        verdicts.push(
          `backlog: CPU per applied event (node + PostgreSQL) with ${BACKLOG} pending / with 1,000 pending = ${(per(large) / per(small)).toFixed(2)}x (target <= 1.5x: ${per(large) / per(small) <= 1.5 ? 'MET' : 'NOT MET'}); WAL per applied event ${f(small.walPerEvent)} B / ${f(large.walPerEvent)} B`,
          `outbox: CPU per applied event with domain events written / without = ${(per(written) / per(without)).toFixed(2)}x (target <= 1.25x: ${per(written) / per(without) <= 1.25 ? 'MET' : 'NOT MET'})`,
          `outbox delivered: CPU per applied event with domain events written and delivered to one receiver / without = ${(per(delivered) / per(without)).toFixed(2)}x`,
        );
      } finally {
        await stopChild(worker.child);
      }
    }

    if (SECTIONS.includes('outbox')) {
      const service = await startChild('service', database.url);
      try {
        // A whole round's length with deliveries, so every path (apply, outbox, delivery) is warm in the first run.
        await withReceiver(bench, service, 'warm-up', (delivered) =>
          measure(bench, service, 'service', 'warm-up', 'warm-up', SECONDS, ROUND_CAP, undefined, false, delivered),
        );
        const runs: Record<'off' | 'written' | 'delivered' | 'floor' | 'logged', Row[]> = {
          off: [],
          written: [],
          delivered: [],
          floor: [],
          logged: [],
        };
        for (let round = 1; round <= ROUNDS; round++) {
          process.stdout.write(`outbox round ${round}/${ROUNDS}...\n`);
          const floor = async (logged: boolean) => {
            const label = `${round}: outbox written + POSTed by the floor sender, ${logged ? 'one log row per delivery' : 'no delivery rows'}`;
            runs[logged ? 'logged' : 'floor'].push(
              await withFloorSender(service, label, logged, (sent) =>
                measure(bench, service, 'service', 'outbox', label, SECONDS, ROUND_CAP, undefined, false, sent),
              ),
            );
          };
          const run = {
            off: async () => {
              await noOutbox.on(db);
              try {
                runs.off.push(await measure(bench, service, 'service', 'outbox', `${round}: outbox off (rule)`, SECONDS, ROUND_CAP));
              } finally {
                await noOutbox.off(db);
              }
            },
            written: async () => {
              runs.written.push(await measure(bench, service, 'service', 'outbox', `${round}: outbox written`, SECONDS, ROUND_CAP));
            },
            delivered: async () => {
              const label = `${round}: outbox written + delivered to 1 receiver`;
              const profile = !!process.env.BENCH_CPU_PROF && round === 1;
              runs.delivered.push(
                await withReceiver(bench, service, label, (delivered) =>
                  measure(bench, service, 'service', 'outbox', label, SECONDS, ROUND_CAP, undefined, profile, delivered),
                ),
              );
            },
            floor: () => floor(false),
            logged: () => floor(true),
          };
          // Each round in another order, so no design always runs first (after the warm-up's deliveries).
          const order = (['off', 'written', 'delivered', 'floor', 'logged'] as const).map((_, i, all) => all[(i + round - 1) % all.length]);
          for (const design of order) await run[design]();
        }
        rows.push(...runs.off, ...runs.written, ...runs.delivered, ...runs.floor, ...runs.logged);
        const per = (rs: Row[]) => median(rs.map((r) => r.nodeUs + r.pgUs));
        const ratio = (rs: Row[]) => per(rs) / per(runs.off);
        verdicts.push(
          `outbox (closed loop, HTTP receiving on): CPU per applied event (node + PostgreSQL) written / off = ${ratio(runs.written).toFixed(2)}x; ` +
            `written and delivered to one receiver / off = ${ratio(runs.delivered).toFixed(2)}x (target <= 1.25x: ${ratio(runs.delivered) <= 1.25 ? 'MET' : 'NOT MET'}) (medians of rounds)`,
          `outbox floor: written and POSTed once per event with no delivery bookkeeping (bench/outbox-floor-sender.ts) / off = ${ratio(runs.floor).toFixed(2)}x: ` +
            `a durable delivery costs at least this, so 1.25x is ${ratio(runs.floor) <= 1.25 ? 'not ruled out' : 'out of reach of any design that POSTs each event once'}; ` +
            `with one log row per delivery (the deliveries log's least) ${ratio(runs.logged).toFixed(2)}x (medians of rounds)`,
        );
      } finally {
        await stopChild(service.child);
      }
    }

    log('');
    for (const line of table(rows)) log(line);
    log('');
    for (const v of verdicts) log(v);
    log(
      `load avg at end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    await db.end();
  } finally {
    await database.cleanup();
  }
}

benchEntry((role, url) => serve(role as Role, url), main);
