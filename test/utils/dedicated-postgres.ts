import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bootApp, TestApp } from './app';
import type { TestDatabase } from './database';

export interface DedicatedPostgres {
  /** Pass to bootApp({ db }). */
  db: TestDatabase;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

/** A PostgreSQL server for one test file alone, so it can be stopped without disturbing others. */
export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'payments-dedicated-pg-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as another user that must reach the data dir
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'postgres-server.cjs'), join(dir, 'data')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('dedicated PostgreSQL exited');
    return JSON.parse(value) as { url?: string; done?: string };
  };
  const command = async (name: string) => {
    child.stdin!.write(`${name}\n`);
    await next();
  };
  const { url } = await next();
  return {
    db: { url: url!, name: 'payments', drop: async () => undefined },
    stop: () => command('stop'),
    start: () => command('start'),
    destroy: async () => {
      await command('exit').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file about database outages: boots the app on a PostgreSQL of the file's own before its tests
 * and removes both after them. Read `.pg` and `.t` inside the tests.
 */
export function appOnDedicatedPostgres(): { pg: DedicatedPostgres; t: TestApp } {
  const holder = {} as { pg: DedicatedPostgres; t: TestApp };
  beforeAll(async () => {
    holder.pg = await startDedicatedPostgres();
    holder.t = await bootApp({ db: holder.pg.db });
  });
  afterAll(async () => {
    await holder.t?.close();
    await holder.pg?.destroy();
  });
  return holder;
}
