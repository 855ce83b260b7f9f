/**
 * npm run bench:webhooks:inbox
 *
 * The inbox table's own costs (#16), before and after migration 1797200000000, on a fresh database:
 *   plans  EXPLAIN (ANALYZE, BUFFERS) of the worker's claim with 1,000 and with BENCH_PENDING (1,000,000) pending
 *          rows, for the claim as it was (filter on (status, next_attempt_at), order by (stripe_created,
 *          received_at), index webhook_events_claim_idx) and as it is (webhook_events_due_idx). The old shape is
 *          rebuilt inside a transaction that is rolled back.
 *   bytes  heap (+ TOAST) and WAL bytes per event for 10,000 real-sized events through insert, claim and the
 *          processed mark, with the payload inline (before) and out of line (toast_tuple_target = 128, after).
 *
 * Env: DATABASE_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres), BENCH_PENDING.
 */
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { typeormOptions } from '../src/database/typeorm-options';
import { CLAIM_SQL } from '../src/webhooks/webhook-worker.service';
import { eventTemplate, prepareDatabase } from './bench-utils';

const PENDING = Number(process.env.BENCH_PENDING ?? 1_000_000);

const OLD_CLAIM_SQL = `
  UPDATE webhook_events
     SET status = 'processing', locked_until = now() + make_interval(secs => $2), attempts = attempts + 1
   WHERE id IN (
     SELECT id FROM webhook_events
      WHERE (status = 'pending' AND next_attempt_at <= now())
         OR (status = 'processing' AND locked_until < now())
      ORDER BY stripe_created, received_at
      LIMIT $1
      FOR UPDATE SKIP LOCKED)
  RETURNING id, type, attempts, payload, received_at, last_error`;
const OLD_SHAPE = [
  `DROP INDEX webhook_events_due_idx`,
  `CREATE INDEX webhook_events_claim_idx ON webhook_events (status, next_attempt_at) WHERE status IN ('pending', 'processing')`,
  `ANALYZE webhook_events`,
];

async function plan(db: Client, sql: string, setup: string[]): Promise<string> {
  await db.query('BEGIN');
  try {
    for (const s of setup) await db.query(s);
    const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, [20, 60]);
    return rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
  } finally {
    await db.query('ROLLBACK');
  }
}

/** Pending rows 1..n (small payloads: the plan depends on rows and pages, not on bodies), plus as many processed. */
async function fill(db: Client, n: number) {
  await db.query('TRUNCATE webhook_events');
  await db.query(
    `INSERT INTO webhook_events (id, type, livemode, stripe_created, object_id, payload, status, next_attempt_at, received_at, processed_at)
     SELECT 'evt_' || g, 'payment_intent.succeeded', false, 1790000000 + g, 'pi_' || g, '{"id":"x"}'::json,
            CASE WHEN g <= $1 THEN 'pending' ELSE 'processed' END, now() - make_interval(secs => g), now() - make_interval(secs => g),
            CASE WHEN g <= $1 THEN NULL ELSE now() END
       FROM generate_series(1, $1 * 2) AS g`,
    [n],
  );
  await db.query('VACUUM ANALYZE webhook_events');
}

async function bytes(db: Client, inline: boolean): Promise<Record<string, number>> {
  const n = 10_000;
  const body = eventTemplate();
  await db.query('TRUNCATE webhook_events');
  await db.query(`ALTER TABLE webhook_events ${inline ? 'RESET (toast_tuple_target)' : 'SET (toast_tuple_target = 128)'}`);
  await db.query('CHECKPOINT');
  const lsn = async () => (await db.query(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l as string;
  const since = async (l: string) => Number((await db.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS d`, [l])).rows[0].d) / n;
  const out: Record<string, number> = {};
  let l = await lsn();
  for (let i = 0; i < n; i += 100) {
    const values: string[] = [];
    const params: unknown[] = [];
    for (let j = i; j < i + 100; j++) {
      const id = `evt_bytes_${j}`;
      params.push(id, body(id, 1790000000 + j));
      values.push(`($${params.length - 1}, 'payment_intent.succeeded', false, 1790000000, 'pi_x', $${params.length}::json)`);
    }
    await db.query(
      `INSERT INTO webhook_events (id, type, livemode, stripe_created, object_id, payload) VALUES ${values.join(', ')}`,
      params,
    );
  }
  out.insertWal = await since(l);
  l = await lsn();
  for (let i = 0; i < n / 50; i++) await db.query(CLAIM_SQL, [50, 60]);
  out.claimWal = await since(l);
  l = await lsn();
  await db.query(`UPDATE webhook_events SET status = 'processed', processed_at = now(), locked_until = NULL WHERE status = 'processing'`);
  out.markWal = await since(l);
  const { rows } = await db.query(
    `SELECT pg_relation_size('webhook_events') AS heap, pg_total_relation_size('webhook_events') - pg_indexes_size('webhook_events') - pg_relation_size('webhook_events') AS toast`,
  );
  out.heap = Number(rows[0].heap) / n;
  out.toast = Number(rows[0].toast) / n;
  return out;
}

async function main() {
  const database = await prepareDatabase('bench_webhooks_inbox');
  try {
    const ds = new DataSource(typeormOptions(database.url, 2, true));
    await ds.initialize();
    await ds.destroy();
    const db = new Client({ connectionString: database.url });
    await db.connect();
    process.stdout.write(`Inbox costs on ${database.where}\n`);
    for (const n of [1_000, PENDING]) {
      await fill(db, n);
      process.stdout.write(`\n### Claim of 20 with ${n.toLocaleString('en')} pending (+ as many processed)\n`);
      process.stdout.write(`\nBefore (claim as it was, webhook_events_claim_idx):\n\n${await plan(db, OLD_CLAIM_SQL, OLD_SHAPE)}\n`);
      process.stdout.write(`\nAfter (webhook_events_due_idx):\n\n${await plan(db, CLAIM_SQL, [])}\n`);
    }
    process.stdout.write('\n### Bytes per event (10,000 events of ~2.4 KB: insert, claim in 50s, processed mark)\n\n');
    process.stdout.write(
      '| payload | heap B/ev | TOAST B/ev | WAL insert B/ev | WAL claim B/ev | WAL mark B/ev |\n|---|---|---|---|---|---|\n',
    );
    for (const inline of [true, false]) {
      const b = await bytes(db, inline);
      process.stdout.write(
        `| ${inline ? 'inline (before)' : 'out of line, toast_tuple_target=128 (after)'} | ${b.heap.toFixed(0)} | ${b.toast.toFixed(0)} | ${b.insertWal.toFixed(0)} | ${b.claimWal.toFixed(0)} | ${b.markWal.toFixed(0)} |\n`,
      );
    }
    await db.end();
  } finally {
    await database.cleanup();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
