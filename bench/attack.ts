/**
 * npm run bench:attack
 *
 * Boots the built service (dist/src/main.js of ATTACK_TARGET, default this checkout; `npx nest build` first)
 * as a child process on a fresh database, then for each scenario fires the worst bodies of issue #11,
 * ATTACK_CONCURRENCY (4) at a time for ATTACK_SECONDS (6), while this process probes GET /health/live back to
 * back (10 ms apart) on a keep-alive connection. The probe keeps going until every attack request has been
 * answered or cut, so a stall of the event loop shows in its max. Prints, per scenario, the attack answers and
 * /health/live p50/p99/max, next to the same probe without any attack ("idle"), and the service's own event-loop
 * delay (p99 and max, from prom-client's nodejs_eventloop_lag_* on GET /metrics, which resets them at each scrape;
 * '-' for a build without /metrics): on a busy machine the probe's latency includes waiting for a core, the
 * loop delay is what the service itself was blocked.
 *
 * Scenarios: JSON nested 1 M levels (~2 MB) and 2.4 M levels (~4.8 MB) with a valid key on POST /v1/customers;
 * ~5 MB nested without a key; headers dribbled at 1 byte/s (ATTACK_SLOW_SECONDS, 14: past the 10 s headers
 * bound). Rate limits are raised for the run so that every unauthenticated request takes the 401 path (the
 * per-IP lockout would otherwise answer most of them 429 even cheaper).
 *
 * Env: ATTACK_TARGET (a checkout with a built dist/), DATABASE_URL (admin URL of a PostgreSQL server; default
 * postgres://postgres@127.0.0.1:5432/postgres; a fresh database is created and dropped), ATTACK_SECONDS,
 * ATTACK_CONCURRENCY, ATTACK_SLOW_SECONDS.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';

const TARGET = resolve(process.env.ATTACK_TARGET ?? join(__dirname, '..'));
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.ATTACK_SECONDS ?? 6);
const CONCURRENCY = Number(process.env.ATTACK_CONCURRENCY ?? 4);
const SLOW_SECONDS = Number(process.env.ATTACK_SLOW_SECONDS ?? 14);
// A cut answer is not waited for forever (the service before #11 had no timeouts).
const REQUEST_CAP_MS = 90_000;
const API_KEY = 'attack_key_0123456789abcdef';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function nested(levels: number): Buffer {
  const head = Buffer.from('{"email":"attack@example.com","metadata":');
  const body = Buffer.alloc(head.length + levels * 2 + 1);
  head.copy(body);
  body.fill('[', head.length, head.length + levels);
  body.fill(']', head.length + levels, head.length + levels * 2);
  body.write('}', body.length - 1);
  return body;
}

interface Scenario {
  name: string;
  body?: Buffer;
  key?: boolean;
  slowHeaders?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'idle (no attack)' },
  { name: 'nested 2 MB, with key', body: nested(1_000_000), key: true },
  { name: 'nested 4.8 MB, with key', body: nested(2_400_000), key: true },
  { name: 'nested 5 MB, no key', body: nested(2_500_000), key: false },
  { name: 'slow headers 1 B/s', slowHeaders: true },
];

// ------------------------------------------------------------------ the service
async function startService(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(TARGET, 'dist', 'src', 'main.js')], {
    cwd: TARGET,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      DATABASE_URL: databaseUrl,
      API_KEYS: `attack:${API_KEY}`,
      RECONCILE_INTERVAL_SECONDS: '0',
      RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_KEY_PER_SECOND: '1000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  for (const end = Date.now() + 60_000; Date.now() < end; await sleep(50)) {
    const match = /listening on (http:\/\/\S+)/.exec(out);
    if (match) return { child, url: match[1] };
    if (child.exitCode !== null) break;
  }
  child.kill('SIGKILL');
  throw new Error(`service did not start:\n${out}`);
}

// ------------------------------------------------------------------ probe and attackers
const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });

function probeOnce(url: string): Promise<number> {
  const started = performance.now();
  return new Promise((done) => {
    const req = request(`${url}/health/live`, { agent: probeAgent }, (res) => {
      res.resume();
      res.on('end', () => done(performance.now() - started));
    });
    req.on('error', () => done(performance.now() - started));
    req.end();
  });
}

function attackOnce(url: string, scenario: Scenario): Promise<string> {
  return new Promise((done) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': scenario.body!.length };
    if (scenario.key) headers.authorization = `Bearer ${API_KEY}`;
    // A new connection per request (the server may close one after refusing a body it did not read).
    const req = request(`${url}/v1/customers`, { method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => done(String(res.statusCode)));
    });
    req.setTimeout(REQUEST_CAP_MS, () => req.destroy(new Error('cap')));
    req.on('error', (e: NodeJS.ErrnoException) =>
      done(e.message === 'cap' ? 'no answer' : e.code === 'EPIPE' || e.code === 'ECONNRESET' ? 'closed' : (e.code ?? 'error')),
    );
    req.end(scenario.body);
  });
}

/** Opens a connection and sends a header line one byte per second; resolves with the seconds until the server closed it (or null). */
function slowHeaders(url: string, seconds: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (what: string) => {
      clearInterval(timer);
      socket.destroy();
      done(what);
    };
    socket.on('data', (d) => (answer += d));
    socket.on('close', () =>
      finish(`closed after ${Math.round((Date.now() - started) / 1000)} s${answer ? ` (${answer.split('\r\n')[0]})` : ''}`),
    );
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write('GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      timer = setInterval(() => {
        if (Date.now() - started > seconds * 1000) finish('still open');
        else socket.write('a');
      }, 1000);
    });
  });
}

/** Event-loop delay since the previous scrape, in ms (prom-client resets its histogram at each collection). */
async function loopDelay(url: string): Promise<{ p99: string; max: string }> {
  const res = await fetch(`${url}/metrics`).catch(() => undefined);
  const text = res?.ok ? await res.text() : '';
  const read = (name: string) => {
    const value = new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1];
    return value === undefined ? '-' : (Number(value) * 1000).toFixed(1);
  };
  return { p99: read('nodejs_eventloop_lag_p99_seconds'), max: read('nodejs_eventloop_lag_max_seconds') };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

async function run(url: string, scenario: Scenario) {
  await loopDelay(url);
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  let attacking = true;
  const attackers: Array<Promise<void>> = [];
  for (let i = 0; i < CONCURRENCY && (scenario.body || scenario.slowHeaders); i++)
    attackers.push(
      (async () => {
        if (scenario.slowHeaders) {
          const outcome = await slowHeaders(url, SLOW_SECONDS);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          return;
        }
        while (attacking) {
          const outcome = await attackOnce(url, scenario);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      })(),
    );
  const finished = Promise.all(attackers).then(() => (done = true));
  let done = attackers.length === 0;
  const started = Date.now();
  setTimeout(() => (attacking = false), SECONDS * 1000);
  while (Date.now() - started < SECONDS * 1000 || !done) {
    latencies.push(await probeOnce(url));
    await sleep(10);
  }
  await finished;
  const loop = await loopDelay(url);
  latencies.sort((a, b) => a - b);
  return {
    scenario: scenario.name,
    attack: [...outcomes].map(([k, n]) => `${n}x ${k}`).join(', ') || '-',
    probes: latencies.length,
    p50: percentile(latencies, 50).toFixed(1),
    p99: percentile(latencies, 99).toFixed(1),
    max: latencies[latencies.length - 1].toFixed(1),
    'loop p99': loop.p99,
    'loop max': loop.max,
    seconds: ((Date.now() - started) / 1000).toFixed(1),
  };
}

async function main() {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const name = `attack_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  let service: { child: ChildProcess; url: string } | undefined;
  try {
    service = await startService(url.toString());
    process.stdout.write(
      `target ${TARGET} at ${service.url}; load before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
    // Warm up: the first requests compile code paths.
    for (let i = 0; i < 50; i++) await probeOnce(service.url);
    const rows = [];
    for (const scenario of SCENARIOS) {
      rows.push(await run(service.url, scenario));
      process.stdout.write(`  ${rows[rows.length - 1].scenario}: done\n`);
    }
    console.table(rows);
    process.stdout.write(
      `/health/live latencies in ms; load after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
  } finally {
    service?.child.kill('SIGKILL');
    await sleep(500);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
