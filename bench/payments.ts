/**
 * npm run bench:payments
 *
 * Boots the service in a child process (real PostgreSQL, the Stripe emulator, LOG_LEVEL=warn), then
 * from this process, in alternating rounds:
 *   1. baseline: the same Stripe SDK calls the service makes (paymentIntents.create with an
 *      idempotency key, then retrieve), made directly against that same emulator;
 *   2. POST /v1/payments (a fresh Idempotency-Key each) and GET /v1/payments/:id over HTTP keep-alive.
 * Prints throughput and p50/p99 side by side: the difference is the latency the service adds
 * (validation, idempotency record, row write, mapping). GET answers from PostgreSQL without Stripe.
 *
 * Env: DATABASE_URL (else the machine's server with a fresh database, over /var/run/postgresql if present,
 * else 127.0.0.1:5432; else embedded), BENCH_SECONDS (10 per scenario), BENCH_ROUNDS (4),
 * BENCH_CONNECTIONS (10), BENCH_EMULATOR (process | in-process), BENCH_CPU_PROF=1 (a CPU profile of the
 * service over the measured part, warm-up left out: .bench/payments-service.cpuprofile), BENCH_STATEMENTS=1
 * (the service's PostgreSQL statements per create, by text, besides the round-trip count always reported).
 *
 * Open loop (#16): BENCH_RATES=100,300 sends creates at those fixed arrival rates instead (a request every
 * 1/rate s whatever the answers, latency counted from the moment it was due: no coordinated omission), SDK and
 * service alternating, BENCH_SECONDS per side and rate, and reports added p50/p99 and CPU per create. A third side,
 * the floor (bench/payments-floor.ts: a bare route, the SDK create and one INSERT, in its own process), says in the
 * same run what the CPU-per-create target can be measured against.
 */
import { ChildProcess, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { StripeContext } from '@app/stripe';
import { startStripeEmulator } from '@app/stripe-emulator';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/configuration';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { BENCH_API_KEY, countStatements, toggleProfile } from './bench-utils';
import { emulatorStripe, startPaymentsFloor } from './payments-floor';

// Both sides are measured by the same closed-loop harness (CONNECTIONS workers, back to back) with the
// same kind of client (node:http, keep-alive), so the difference is the service, not the tooling.
// (autocannon was tried first: it reports whole milliseconds, too coarse for a 5 ms budget.)
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const RATES = (process.env.BENCH_RATES ?? '').split(',').filter(Boolean).map(Number);
const PROFILE = !!process.env.BENCH_CPU_PROF;
const fresh = (): Samples => ({ latencies: [], failed: 0, seconds: 0, cpu: {} });
const API_KEY = BENCH_API_KEY;
const BODY = { amount: 2000, currency: 'usd', description: 'bench' };

interface Row {
  scenario: string;
  cpu: Record<string, number>;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

// ------------------------------------------------------------------ children: emulator, service
// The emulator is the service's own in-process emulator in sandbox mode; BENCH_EMULATOR=process (default)
// runs it in its own process instead, so the service's event loop does only the service's work and the
// difference to the direct SDK calls is the service's own cost. No webhook endpoint is registered either
// way: webhook ingestion has its own benchmark (bench:webhooks), and its deliveries would blur this one.
const EMULATOR_MODE = process.env.BENCH_EMULATOR === 'in-process' ? 'in-process' : 'process';

async function serveEmulator() {
  const emulator = await startStripeEmulator({ port: 0 });
  process.send!({ emulatorUrl: emulator.url });
  process.on('message', async (message) => {
    if (message === 'stop') {
      await emulator.close();
      process.exit(0);
    }
  });
}

async function serve(databaseUrl: string, externalEmulatorUrl?: string) {
  const statements = countStatements();
  const emulator = externalEmulatorUrl ? undefined : await startStripeEmulator({ port: 0 });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    API_KEYS: `bench:${API_KEY}`,
    LOG_LEVEL: 'warn',
    // The per-key budget (100/s by default) would answer 429 at the open loop's 300/s: the service's cost is measured.
    RATE_LIMIT_PER_KEY_PER_SECOND: '1000000',
    WEBHOOK_WORKER_ENABLED: 'false',
    STRIPE_SECRET_KEY: 'sk_test_emulator',
    STRIPE_API_BASE_URL: externalEmulatorUrl ?? emulator!.url,
    // A configured secret: the service registers no webhook endpoint at the emulator (payments alone are measured).
    STRIPE_WEBHOOK_SECRET: 'whsec_bench_payments_no_endpoint',
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.send!({ url: `http://127.0.0.1:${port}`, emulatorUrl: app.get(StripeContext).emulatorUrl });
  process.on('message', async (message) => {
    if (message === 'stop') {
      await app.close();
      await emulator?.close();
      process.exit(0);
    }
    if (message === 'profile') await toggleProfile('payments-service');
    if (message === 'statements') process.send!({ statements: [...statements] });
    if (message === 'statements:reset') statements.clear();
  });
}

function start(args: string[]): Promise<{ child: ChildProcess; message: { url?: string; emulatorUrl: string } }> {
  const child = fork(__filename, args, { execArgv: process.execArgv, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, message: message as { url?: string; emulatorUrl: string } }));
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
}

/** The service's statements since the last reset, by text. */
function statementsOf(child: ChildProcess): Promise<Array<[string, number]>> {
  return new Promise((resolve) => {
    const on = (m: { statements?: Array<[string, number]> }) => {
      if (!m.statements) return;
      child.off('message', on);
      resolve(m.statements);
    };
    child.on('message', on);
    child.send('statements');
  });
}

async function stop(child: ChildProcess) {
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
}

// ------------------------------------------------------------------ parent: database, load, report
async function database(): Promise<{ url: string; label: string; backends: () => Promise<number[]>; drop: () => Promise<void> }> {
  const name = `bench_payments_${randomBytes(4).toString('hex')}`;
  // The machine's server, over its Unix socket when there is one: loopback TCP costs noticeably more per
  // round trip on these machines (measured: POST 290 -> 490 req/s, GET 1 370 -> 2 370 req/s).
  const socket = '/var/run/postgresql';
  const admin =
    process.env.DATABASE_URL ??
    (existsSync(`${socket}/.s.PGSQL.5432`)
      ? `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socket)}`
      : 'postgres://postgres@127.0.0.1:5432/postgres');
  try {
    const client = new Client({ connectionString: admin, connectionTimeoutMillis: 2000 });
    await client.connect();
    const [{ server_version }] = (await client.query('SHOW server_version')).rows;
    await client.query(`CREATE DATABASE "${name}"`);
    await client.end();
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      label: `PostgreSQL ${server_version} at ${url.searchParams.get('host') ?? url.host}`,
      backends: async () => {
        const c = new Client({ connectionString: admin });
        await c.connect();
        const { rows } = await c.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name]);
        await c.end();
        return rows.map((r: { pid: number }) => r.pid);
      },
      drop: async () => {
        const c = new Client({ connectionString: admin });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await c.end();
      },
    };
  } catch {
    const dir = mkdtempSync(join(tmpdir(), 'bench-payments-pg-'));
    const db = await startEmbeddedPostgres({ dataDir: dir, database: name });
    return {
      url: db.url,
      label: 'embedded PostgreSQL',
      backends: async () => [],
      drop: async () => (await db.stop(), rmSync(dir, { recursive: true, force: true })),
    };
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

interface Samples {
  latencies: number[];
  failed: number;
  seconds: number;
  /** CPU milliseconds spent during the scenario, per process group (see cpuNow). */
  cpu: Record<string, number>;
}

/**
 * CPU time (user + system, ms) used so far by each process of the setup, from /proc (Linux only; empty
 * elsewhere). Wall-clock latency on a shared 2-core machine is mostly waiting for a core; CPU per request
 * says what each process really costs, whatever else runs.
 */
function cpuNow(groups: Record<string, number[]>): Record<string, Map<number, number>> {
  const out: Record<string, Map<number, number>> = {};
  for (const [name, pids] of Object.entries(groups)) {
    out[name] = new Map();
    for (const pid of pids) {
      try {
        // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        out[name].set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // USER_HZ is 100 on Linux
      } catch {
        // gone or not Linux
      }
    }
  }
  out.client = new Map([[process.pid, (process.cpuUsage().user + process.cpuUsage().system) / 1000]]);
  return out;
}

/**
 * Adds to `into` what each group spent between two readings, process by process: a PostgreSQL backend that
 * ended in between (the pool closes idle connections) counts for nothing rather than for minus its whole life.
 */
function addCpu(into: Samples, before: ReturnType<typeof cpuNow>, after: ReturnType<typeof cpuNow>): void {
  for (const [name, pids] of Object.entries(after)) {
    let ms = 0;
    for (const [pid, total] of pids) ms += total - (before[name]?.get(pid) ?? total);
    into.cpu[name] = (into.cpu[name] ?? 0) + ms;
  }
}

/** Before each scenario: the database's backends now (pools open and close connections between scenarios). */
let refreshBackends: () => Promise<void> = () => Promise.resolve();

/** `CONNECTIONS` workers calling `fn` back to back for `seconds` (closed loop, like autocannon). */
async function load(fn: (i: number) => Promise<unknown>, seconds: number, into: Samples): Promise<void> {
  let n = 0;
  await refreshBackends();
  const cpuBefore = cpuNow(processes);
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const start = performance.now();
        try {
          await fn(n++);
          into.latencies.push(performance.now() - start);
        } catch {
          into.failed++;
        }
      }
    }),
  );
  into.seconds += seconds;
  addCpu(into, cpuBefore, cpuNow(processes));
}

/** Open loop: `rate` calls per second for `seconds`, each timed from when it was due. */
async function openLoad(fn: (i: number) => Promise<unknown>, rate: number, seconds: number, into: Samples): Promise<void> {
  await refreshBackends();
  const cpuBefore = cpuNow(processes);
  const start = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < Math.round(rate * seconds); i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      fn(i).then(
        () => void into.latencies.push(performance.now() - due),
        () => void into.failed++,
      ),
    );
  }
  await Promise.all(inFlight);
  into.seconds += seconds;
  addCpu(into, cpuBefore, cpuNow(processes));
}

/** Pids whose CPU the report accounts for: filled in once everything runs. */
const processes: Record<string, number[]> = {};

function summarise(scenario: string, samples: Samples): Row {
  const sorted = [...samples.latencies].sort((a, b) => a - b);
  return {
    scenario,
    rps: sorted.length / samples.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    ok: sorted.length,
    failed: samples.failed,
    cpu: Object.fromEntries(Object.entries(samples.cpu).map(([name, ms]) => [name, sorted.length ? ms / sorted.length : NaN])),
  };
}

/** One HTTP call to the service; rejects unless the status is the expected one. */
function call(
  base: string,
  method: string,
  path: string,
  expected: number,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ id: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${API_KEY}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode === expected ? resolve(JSON.parse(Buffer.concat(chunks).toString())) : reject(new Error(`${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function main() {
  const loadBefore = loadavg()[0];
  const db = await database();
  const emulatorProcess = EMULATOR_MODE === 'process' ? await start(['emulator']) : undefined;
  const service = await start(['serve', db.url, ...(emulatorProcess ? [emulatorProcess.message.emulatorUrl] : [])]);
  const url = service.message.url!;
  const emulatorUrl = service.message.emulatorUrl;
  // After the service: its boot created the tables the floor writes to.
  const floor = RATES.length ? await start(['floor', db.url, emulatorUrl]) : undefined;
  try {
    const stripe = emulatorStripe(emulatorUrl);

    // Warm both paths (JIT, every pool connection and its prepared statements) at full concurrency, then measure.
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        for (let i = 0; i < 30; i++) {
          const pi = await stripe.paymentIntents.create({ ...BODY, metadata: { warm: 'up' } }, { idempotencyKey: randomUUID() });
          await stripe.paymentIntents.retrieve(pi.id);
          const payment = await call(url, 'POST', '/v1/payments', 201, BODY, { 'idempotency-key': randomUUID() });
          await call(url, 'GET', `/v1/payments/${payment.id}`, 200);
          if (floor) await call(floor.message.url!, 'POST', '/v1/payments', 201, BODY);
        }
      }),
    );
    processes.service = [service.child.pid!];
    if (emulatorProcess) processes.emulator = [emulatorProcess.child.pid!];
    if (floor) processes.floor = [floor.child.pid!];
    refreshBackends = async () => void (processes.postgres = await db.backends());

    // The create the service makes, made directly.
    const createIntent = () =>
      stripe.paymentIntents.create(
        {
          amount: BODY.amount,
          currency: BODY.currency,
          description: BODY.description,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          metadata: { payments_service_id: randomUUID() },
        },
        { idempotencyKey: `payments.create:${randomUUID()}` },
      );
    if (PROFILE) service.child.send('profile');
    if (RATES.length) {
      const createPayment = () => call(url, 'POST', '/v1/payments', 201, BODY, { 'idempotency-key': randomUUID() });
      const out = [`Open loop, ${SECONDS} s per side and rate (SDK and service alternating), load avg ${loadavg()[0].toFixed(2)}:`];
      const statements = new Map<string, number>();
      // The service's statements while it serves creates (its background jobs' included: they show by text).
      const serviceSide = async (rate: number, into: Samples) => {
        service.child.send('statements:reset');
        await openLoad(createPayment, rate, SECONDS / 2, into);
        for (const [raw, n] of await statementsOf(service.child)) {
          const text = raw.replace(/\s+/g, ' ').trim();
          statements.set(text, (statements.get(text) ?? 0) + n);
        }
      };
      const floorCreate = () => call(floor!.message.url!, 'POST', '/v1/payments', 201, BODY);
      let creates = 0;
      for (const rate of RATES) {
        const sdk = fresh();
        const svc = fresh();
        const bare = fresh();
        for (let half = 0; half < 2; half++) {
          await openLoad(createIntent, rate, SECONDS / 2, sdk);
          await serviceSide(rate, svc);
          await openLoad(floorCreate, rate, SECONDS / 2, bare);
        }
        const [a, b, c] = [summarise('sdk', sdk), summarise('service', svc), summarise('floor', bare)];
        creates += b.ok + b.failed;
        out.push(
          `${rate} req/s: SDK create p50 ${a.p50.toFixed(2)} / p99 ${a.p99.toFixed(2)} ms; service POST /v1/payments p50 ${b.p50.toFixed(2)} / p99 ${b.p99.toFixed(2)} ms ` +
            `(failed ${a.failed}/${b.failed}); added p50 ${(b.p50 - a.p50).toFixed(2)} ms (target < 5: ${b.p50 - a.p50 < 5 ? 'MET' : 'NOT MET'}), added p99 ${(b.p99 - a.p99).toFixed(2)} ms; ` +
            `service CPU per create ${b.cpu.service.toFixed(3)} ms (target <= 0.5: ${b.cpu.service <= 0.5 ? 'MET' : 'NOT MET'}), PostgreSQL ${b.cpu.postgres?.toFixed(3)} ms; ` +
            // While the SDK side runs the service serves nothing: what it spends then is its background work.
            `service CPU while idle (SDK side) ${((a.cpu.service * a.ok) / sdk.seconds).toFixed(1)} ms/s`,
        );
        out.push(
          `${rate} req/s floor (bare route, SDK create, one INSERT): p50 ${c.p50.toFixed(2)} ms (added ${(c.p50 - a.p50).toFixed(2)}), ` +
            `CPU per create ${c.cpu.floor.toFixed(3)} ms, PostgreSQL ${c.cpu.postgres?.toFixed(3)} ms (failed ${c.failed}); ` +
            `the 0.5 ms target is ${c.cpu.floor <= 0.5 ? 'within' : 'below'} what a create through this stack can cost here`,
        );
      }
      const roundTrips = [...statements.values()].reduce((sum, n) => sum + n, 0);
      out.push(`PostgreSQL round trips per create (statements, BEGIN/COMMIT included): ${(roundTrips / creates).toFixed(2)}`);
      if (process.env.BENCH_STATEMENTS)
        for (const [text, n] of [...statements].sort((x, y) => y[1] - x[1]))
          out.push(`  ${(n / creates).toFixed(2)}  ${text.slice(0, 160)}`);
      process.stdout.write(`\n${out.join('\n')}\n`);
      return;
    }

    // Direct SDK calls and service calls alternate in ROUNDS short rounds (which goes first alternates
    // too), so load from elsewhere on the machine hits both sides alike.
    const intentIds: string[] = [];
    const paymentIds: string[] = [];
    const samples = { sdkCreate: fresh(), serviceCreate: fresh(), sdkRetrieve: fresh(), serviceGet: fresh() };
    const slice = SECONDS / ROUNDS;
    const sdkCreate = () =>
      load(
        async () => {
          const pi = await createIntent();
          if (intentIds.length < 5000) intentIds.push(pi.id);
        },
        slice,
        samples.sdkCreate,
      );
    const serviceCreate = () =>
      load(
        async () => {
          const payment = await call(url, 'POST', '/v1/payments', 201, BODY, { 'idempotency-key': randomUUID() });
          if (paymentIds.length < 5000) paymentIds.push(payment.id);
        },
        slice,
        samples.serviceCreate,
      );
    const sdkRetrieve = () => load((i) => stripe.paymentIntents.retrieve(intentIds[i % intentIds.length]), slice, samples.sdkRetrieve);
    const serviceGet = () =>
      load((i) => call(url, 'GET', `/v1/payments/${paymentIds[i % paymentIds.length]}`, 200), slice, samples.serviceGet);
    for (let round = 0; round < ROUNDS; round++) {
      const creates = round % 2 === 0 ? [sdkCreate, serviceCreate] : [serviceCreate, sdkCreate];
      for (const run of creates) await run();
      const reads = round % 2 === 0 ? [sdkRetrieve, serviceGet] : [serviceGet, sdkRetrieve];
      for (const run of reads) await run();
    }

    const rows = [
      summarise('SDK paymentIntents.create (direct)', samples.sdkCreate),
      summarise('service POST /v1/payments', samples.serviceCreate),
      summarise('SDK paymentIntents.retrieve (direct)', samples.sdkRetrieve),
      summarise('service GET /v1/payments/:id', samples.serviceGet),
    ];
    const [sdkCreateRow, serviceCreateRow, sdkRetrieveRow, serviceGetRow] = rows;
    const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
    const width = Math.max(...rows.map((r) => r.scenario.length));
    const lines = [
      `${'scenario'.padEnd(width)}  ${'req/s'.padStart(8)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ${'ok'.padStart(7)}  ${'failed'.padStart(6)}`,
      ...rows.map(
        (r) =>
          `${r.scenario.padEnd(width)}  ${r.rps.toFixed(0).padStart(8)}  ${f(r.p50).padStart(8)}  ${f(r.p99).padStart(8)}  ${String(r.ok).padStart(7)}  ${String(r.failed).padStart(6)}`,
      ),
    ];
    const groups = ['client', 'service', 'emulator', 'postgres'].filter((g) => rows.some((r) => Number.isFinite(r.cpu[g])));
    const cpuLines = [
      `${'CPU ms per request'.padEnd(width)}  ${groups.map((g) => g.padStart(8)).join('  ')}  ${'total'.padStart(8)}`,
      ...rows.map((r) => {
        const total = groups.reduce((sum, g) => sum + (r.cpu[g] ?? 0), 0);
        return `${r.scenario.padEnd(width)}  ${groups.map((g) => f(r.cpu[g]).padStart(8)).join('  ')}  ${f(total).padStart(8)}`;
      }),
    ];
    const added = serviceCreateRow.p50 - sdkCreateRow.p50;
    process.stdout.write(
      [
        '',
        `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${db.label}`,
        `Load average (1 min) before the run: ${loadBefore.toFixed(2)}${loadBefore > cpus().length / 2 ? ' - other work is running: expect noisy numbers' : ''}`,
        `Load: ${CONNECTIONS} connections, ${SECONDS} s per scenario in ${ROUNDS} alternating rounds; emulator ${EMULATOR_MODE === 'process' ? 'in its own process' : "in the service's process"}; load generator, service, emulator and PostgreSQL share this machine`,
        '',
        ...lines,
        '',
        ...cpuLines,
        '',
        `Added by the service on create (p50): ${f(added)} ms (target < 5 ms) -> ${added < 5 && serviceCreateRow.failed === 0 ? 'OK' : 'MISSED'}`,
        `Added by the service on create (p99): ${f(serviceCreateRow.p99 - sdkCreateRow.p99)} ms`,
        `GET answers from PostgreSQL without calling Stripe: p50 ${f(serviceGetRow.p50)} ms vs ${f(sdkRetrieveRow.p50)} ms for a Stripe retrieve`,
        '',
      ].join('\n'),
    );
  } finally {
    if (PROFILE) {
      service.child.send('profile');
      await new Promise((r) => setTimeout(r, 1000)); // written asynchronously
    }
    await stop(service.child);
    if (floor) await stop(floor.child);
    if (emulatorProcess) await stop(emulatorProcess.child);
    await db.drop();
  }
}

if (process.argv[2] === 'emulator') {
  serveEmulator().catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
} else if (process.argv[2] === 'floor') {
  startPaymentsFloor(process.argv[3], process.argv[4])
    .then(async (app) => {
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as { port: number };
      process.send!({ url: `http://127.0.0.1:${port}` });
      process.on('message', (message) => {
        if (message === 'stop') void app.close().then(() => process.exit(0));
      });
    })
    .catch((error) => {
      process.stderr.write(`${(error as Error).stack}\n`);
      process.exit(1);
    });
} else if (process.argv[2] === 'serve') {
  serve(process.argv[3], process.argv[4]).catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
