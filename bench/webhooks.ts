/**
 * npm run bench:webhooks
 *
 * Fires distinct signed `payment_intent.succeeded` events (~2 KB, a new event id each) at 50 connections
 * against (1) the naive receiver (verify + one INSERT per request) and (2) this service's receiver
 * (verify + group-committed INSERT), each in its own process on real PostgreSQL, then checks that every
 * acknowledged event id is a committed row. The worker is disabled: receiving is what is measured.
 *
 * Env: DATABASE_URL (else postgres://postgres@127.0.0.1:5432/postgres, else embedded), BENCH_SECONDS (10),
 * BENCH_CONNECTIONS (50), BENCH_ROUNDS (3, alternating naive/service), BENCH_CPU_PROF=1 (profiles in .bench/),
 * BENCH_BASELINE=metrics-off (the baseline is this service with METRICS_ENABLED=false instead of the naive receiver:
 * the cost of the Prometheus metrics on the hot path, target within 5%), BENCH_BASELINE=context-on (the baseline is this
 * service with the request context's AsyncLocalStorage entered for the whole run, as if the webhook route did not opt
 * out of it: what that opt-out saves on the running Node version; see src/common/logging/request-context.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app';
import { requestContext } from '../src/common/logging/request-context';
import { typeormOptions } from '../src/database/typeorm-options';
import { WebhookInboxWriter } from '../src/webhooks/webhook-inbox.writer';
import {
  cpuOf,
  eventTemplate,
  postgresCpuMs,
  prepareDatabase,
  stopChild,
  toggleProfile,
  autocannon,
  benchEntry,
  benchServiceConfig,
  forkServer,
  SECRET,
} from './bench-utils';
import { startNaiveReceiver } from './webhooks-naive';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const POOL = 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

type Role = 'naive' | 'service';
const CONTEXT_BASELINE = process.env.BENCH_BASELINE === 'context-on';
// Both compare the service with a variant of itself (same table, same code path) rather than with the naive receiver.
const METRICS_BASELINE = process.env.BENCH_BASELINE === 'metrics-off' || CONTEXT_BASELINE;
const BASELINE_LABEL = CONTEXT_BASELINE
  ? 'service, request context always on'
  : METRICS_BASELINE
    ? 'service, METRICS_ENABLED=false'
    : 'naive: verify + 1 INSERT/request';

// ---------------------------------------------------------------------------------------------
// Child process: one receiver.
// ---------------------------------------------------------------------------------------------
async function serve(role: Role, databaseUrl: string) {
  let close: () => Promise<void>;
  let port: number;
  if (role === 'naive' && !METRICS_BASELINE) {
    const app = await startNaiveReceiver({ databaseUrl, secret: SECRET, poolSize: POOL });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
    close = () => app.close();
  } else {
    const config = benchServiceConfig(databaseUrl, POOL, SECRET, {
      WEBHOOK_WORKER_ENABLED: 'false',
      METRICS_ENABLED: role === 'naive' && !CONTEXT_BASELINE ? 'false' : 'true',
    });

    const app = await createApp(config);
    // Entered before listen, so the server's handles and every request inherit it: AsyncLocalStorage stays enabled.
    if (role === 'naive' && CONTEXT_BASELINE) requestContext.enterWith({ requestId: 'bench' });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
    close = () => app.close();
  }
  process.send!({ port });
  process.on('message', (m) => {
    if (m === 'stop') void close().then(() => process.exit(0));
    if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
    if (m === 'profile') void toggleProfile(role);
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: database, load, verification, report.
// ---------------------------------------------------------------------------------------------
const paymentIntentSucceeded = eventTemplate();
let sequence = 0;
const runPrefix = randomBytes(6).toString('hex');

function startChild(role: Role, databaseUrl: string) {
  return forkServer(__filename, role, databaseUrl);
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
  loadCpuPerEventUs?: number;
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

/** The group-commit writer alone, without HTTP: 50 concurrent writers, each waiting for its commit. */
async function writerAlone(url: string): Promise<{ rps: number; cpuPerEventUs: number }> {
  const ds = new DataSource(typeormOptions(url, POOL, false));
  await ds.initialize();
  const writer = new WebhookInboxWriter(ds);
  const body = eventTemplate();
  const total = 20_000;
  let n = 0;
  const started = Date.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (n < total) {
        const id = `evt_${runPrefix}w${(n++).toString(36)}`;
        await writer.write({
          id,
          type: 'payment_intent.succeeded',
          livemode: false,
          apiVersion: '2026-10-28.endive',
          stripeCreated: 1,
          objectId: null,
          payload: body(id, 1),
          status: 'pending',
          note: null,
          source: 'webhook',
        });
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const seconds = (Date.now() - started) / 1000;
  await ds.destroy();
  return { rps: total / seconds, cpuPerEventUs: (used.user + used.system) / total };
}

async function main() {
  const db = await prepareDatabase();
  try {
    // Schema through the real migrations; the naive table is a copy of the inbox.
    const ds = new DataSource(typeormOptions(db.url, 2, true));
    await ds.initialize();
    await ds.query('CREATE TABLE naive_webhook_events (LIKE webhook_events INCLUDING ALL)');
    const settings = await ds.query(
      `SELECT current_setting('synchronous_commit') AS sc, current_setting('fsync') AS fsync, version() AS v`,
    );
    await ds.destroy();

    // Both receivers stay up; rounds alternate naive/service so that load from elsewhere on the machine
    // hits both designs alike. Totals are over all rounds.
    const tables: Record<Role, string> = { naive: METRICS_BASELINE ? 'webhook_events' : 'naive_webhook_events', service: 'webhook_events' };
    const children = { naive: await startChild('naive', db.url), service: await startChild('service', db.url) };
    const rounds: Array<{ role: Role; round: number; run: Run; committed: number; pgCpuPerEventUs: number | null }> = [];
    try {
      for (const role of ['naive', 'service'] as Role[]) {
        const warm = await fire(children[role].url, 2);
        const committed = await countCommitted(db.url, tables[role], warm.acked);
        if (committed !== warm.acked.length) process.stdout.write(`  LOST in ${role} warm-up: ${warm.acked.length - committed}\n`);
      }
      for (let round = 1; round <= ROUNDS; round++) {
        for (const role of ['naive', 'service'] as Role[]) {
          const { child, url } = children[role];
          process.stdout.write(`round ${round}/${ROUNDS} ${role}: ${SECONDS} s at ${CONNECTIONS} connections...\n`);
          if (process.env.BENCH_CPU_PROF && round === 1) child.send('profile');
          const cpuBefore = await cpuOf(child);
          const pgBefore = await postgresCpuMs(db.url);
          const loadCpuBefore = process.cpuUsage();
          const run = await fire(url, SECONDS);
          const cpuMs = (await cpuOf(child)) - cpuBefore;
          const pgAfter = await postgresCpuMs(db.url);
          if (process.env.BENCH_CPU_PROF && round === 1) child.send('profile');
          const load = process.cpuUsage(loadCpuBefore);
          run.cpuPerEventUs = (cpuMs * 1000) / Math.max(1, run.acked.length);
          run.receiverCpuPct = (cpuMs / (SECONDS * 1000)) * 100;
          run.loadCpuPct = ((load.user + load.system) / 1000 / (SECONDS * 1000)) * 100;
          run.loadCpuPerEventUs = (load.user + load.system) / Math.max(1, run.acked.length);
          const committed = await countCommitted(db.url, tables[role], run.acked);
          const pgCpuPerEventUs =
            pgBefore !== null && pgAfter !== null ? ((pgAfter - pgBefore) * 1000) / Math.max(1, run.acked.length) : null;
          rounds.push({ role, round, run, committed, pgCpuPerEventUs });
        }
      }
    } finally {
      await Promise.all([stopChild(children.naive.child), stopChild(children.service.child)]);
    }

    const alone = await writerAlone(db.url);
    const pad = (v: string | number, n: number) => String(v).padStart(n);
    const row = (label: string, r: Run, committed: number, pg: number | null) =>
      `| ${label.padEnd(38)} | ${pad(r.rps.toFixed(0), 8)} | ${pad(r.p50.toFixed(0), 5)} | ${pad(r.p99.toFixed(0), 5)} | ${pad(r.max.toFixed(0), 6)} | ${pad(r.acked.length, 7)} | ${pad(committed, 9)} | ${pad(r.acked.length - committed, 4)} | ${pad(r.non2xx + r.errors, 6)} | ${pad(r.cpuPerEventUs!.toFixed(0), 8)} | ${pad(pg === null ? 'n/a' : pg.toFixed(0), 8)} | ${pad(r.loadCpuPerEventUs!.toFixed(0), 8)} |`;
    const total = (role: Role) => {
      const mine = rounds.filter((r) => r.role === role);
      const acked = mine.reduce((n, r) => n + r.run.acked.length, 0);
      return {
        rps: acked / (mine.length * SECONDS),
        acked,
        lost: mine.reduce((n, r) => n + r.run.acked.length - r.committed, 0),
        worstP99: Math.max(...mine.map((r) => r.run.p99)),
        medianRps: mine.map((r) => r.run.rps).sort((a, b) => a - b)[Math.floor(mine.length / 2)],
        medianP99: mine.map((r) => r.run.p99).sort((a, b) => a - b)[Math.floor(mine.length / 2)],
      };
    };
    const medianCpu = (role: Role) => {
      const mine = rounds.filter((r) => r.role === role).map((r) => r.run.cpuPerEventUs!);
      return mine.sort((a, b) => a - b)[Math.floor(mine.length / 2)];
    };
    const n = total('naive');
    const sv = total('service');
    const bytes = rounds[0]?.run.bytes ?? 0;
    const lines = [
      '',
      `Webhook receiving benchmark: ${CONNECTIONS} connections, ${ROUNDS} x ${SECONDS} s per design (alternating, after a 2 s warm-up each), ~${(bytes / 1024).toFixed(1)} KB signed payment_intent.succeeded bodies, a new event id per request`,
      `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load generator on the same machine. Database: ${db.where}`,
      `PostgreSQL: synchronous_commit=${settings[0].sc}, fsync=${settings[0].fsync} (every 200 is given after COMMIT). Pool 10 each. Service worker disabled: receiving is measured.`,
      '',
      '| design (round)                         | events/s |   p50 |   p99 | max ms |   acked | committed | lost | errors | node µs/ev | pg µs/ev | load µs/ev |',
      '|----------------------------------------|----------|-------|-------|--------|---------|-----------|------|--------|----------|----------|----------|',
      ...rounds.map((r) =>
        row(
          `${r.role === 'naive' ? BASELINE_LABEL : 'service: verify + group commit'} (${r.round})`,
          r.run,
          r.committed,
          r.pgCpuPerEventUs,
        ),
      ),
      '',
      `${CONTEXT_BASELINE ? 'context on' : METRICS_BASELINE ? 'metrics off' : 'naive:  '} ${n.rps.toFixed(0)} events/s over all rounds (median round ${n.medianRps.toFixed(0)}), p99 median ${n.medianP99} ms, lost ${n.lost} of ${n.acked}`,
      `service: ${sv.rps.toFixed(0)} events/s over all rounds (median round ${sv.medianRps.toFixed(0)}), p99 median ${sv.medianP99} ms (worst ${sv.worstP99} ms), lost ${sv.lost} of ${sv.acked}`,
      `Group-commit writer alone (no HTTP, same database, 50 concurrent writers): ${alone.rps.toFixed(0)} events/s at ${alone.cpuPerEventUs.toFixed(0)} µs node CPU per event (includes building the bodies)`,
      ...(METRICS_BASELINE
        ? []
        : [
            `Ratio service/naive: ${(sv.rps / n.rps).toFixed(2)}x over all rounds, ${(sv.medianRps / n.medianRps).toFixed(2)}x of the median rounds (target >= 2x); service p99 < 50 ms: ${sv.medianP99 < 50 ? 'yes' : 'NO'}; zero lost: ${n.lost + sv.lost === 0 ? 'yes' : 'NO'}`,
          ]),
      ...(METRICS_BASELINE
        ? [
            CONTEXT_BASELINE
              ? `Request context: as designed (webhook route opted out) / always on = ${(sv.rps / n.rps).toFixed(3)} over all rounds, ${(sv.medianRps / n.medianRps).toFixed(3)} of the median rounds; node CPU µs/event (median round) opted out ${medianCpu('service').toFixed(0)} vs always on ${medianCpu('naive').toFixed(0)}`
              : `Metrics overhead: metrics on / off = ${(sv.rps / n.rps).toFixed(3)} over all rounds, ${(sv.medianRps / n.medianRps).toFixed(3)} of the median rounds (target >= 0.95); node CPU µs/event (median round) on ${medianCpu('service').toFixed(0)} vs off ${medianCpu('naive').toFixed(0)}`,
          ]
        : []),
      'Ceilings measured on this machine kind (2 cores, same-box load generator): bare Fastify GET ~80k req/s; Nest+Fastify validated POST ~30k; Nest+Fastify one TypeORM INSERT ~3.7k.',
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    await db.cleanup();
  }
}

benchEntry((role, url) => serve(role as Role, url), main);
