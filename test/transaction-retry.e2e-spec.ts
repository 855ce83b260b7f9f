import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { transactionWithRetry } from '../src/common/database/transaction-retry';
import { createTestDatabase, TestDatabase } from './utils/database';
import { until } from './utils/wait';

// Our API's writes run again when PostgreSQL picks them as a deadlock victim (src/common/database/transaction-retry.ts).
describe('transactionWithRetry (real PostgreSQL deadlock)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let other: Client;
  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await new DataSource({ type: 'postgres', url: db.url }).initialize();
    await ds.query(`CREATE TABLE rows (id int PRIMARY KEY, v int NOT NULL DEFAULT 0); INSERT INTO rows VALUES (1), (2)`);
    other = new Client({ connectionString: db.url });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await ds?.destroy();
    await db?.drop();
  });

  const waitingOnLock = (pid: number) =>
    until(
      `backend ${pid} waiting on a lock`,
      () => ds.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]),
      (rows: Array<{ wait_event_type: string | null }>) => rows[0]?.wait_event_type === 'Lock',
    );

  it('the deadlock victim is run again and its work lands once; a non-retryable error is not retried', async () => {
    const otherPid = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    let attempts = 0;
    let otherSide: Promise<unknown> | undefined;
    const result = await transactionWithRetry(ds, async (m) => {
      attempts++;
      const [{ pid }] = await m.query('SELECT pg_backend_pid() AS pid');
      await m.query('UPDATE rows SET v = v + 1 WHERE id = 1');
      if (attempts === 1) {
        // The other side takes row 2, then wants row 1 (ours); we then want row 2: a cycle. We start waiting first,
        // so our backend's deadlock check runs first and we are the victim.
        await other.query('BEGIN');
        await other.query('UPDATE rows SET v = v + 10 WHERE id = 2');
        const ours = m.query('UPDATE rows SET v = v + 1 WHERE id = 2');
        await waitingOnLock(pid);
        otherSide = other.query('UPDATE rows SET v = v + 10 WHERE id = 1').then(() => other.query('COMMIT'));
        await waitingOnLock(otherPid).catch(() => undefined); // it may already have been granted row 1
        await ours;
      } else {
        await m.query('UPDATE rows SET v = v + 1 WHERE id = 2');
      }
      return 'done';
    });
    await otherSide;
    expect(result).toBe('done');
    expect(attempts).toBe(2);
    // Our work once (the victim's first attempt rolled back), the other side's once.
    expect(await ds.query('SELECT id, v FROM rows ORDER BY id')).toEqual([
      { id: 1, v: 11 },
      { id: 2, v: 11 },
    ]);

    let tries = 0;
    await expect(
      transactionWithRetry(ds, async (m) => {
        tries++;
        await m.query('SELECT 1/0');
      }),
    ).rejects.toThrow(/division by zero/);
    expect(tries).toBe(1);
  });
});
