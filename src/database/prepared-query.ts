import type { Pool, PoolClient, QueryResult } from 'pg';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';

/** TypeORM's own pg pool (autocommit statements), or a QueryRunner's connection (inside its transaction). */
type On = DataSource | QueryRunner;

function send(on: On, name: string | undefined, text: string, values: unknown[]): Promise<QueryResult> {
  // Not `'driver' in on`: a QueryRunner has a driver too, and its statement would then run outside its transaction.
  const client: Pool | PoolClient =
    on instanceof DataSource
      ? (on.driver as unknown as { master: Pool }).master
      : (on as unknown as { databaseConnection: PoolClient }).databaseConnection;
  return client.query(name ? { name, text, values } : { text, values });
}

/**
 * Runs a named, server-side prepared statement: PostgreSQL plans it once per connection. On a DataSource
 * it runs on TypeORM's own pool (autocommit; never inside a transaction); on a QueryRunner, on its
 * connection, so inside its transaction (the inbox's receipt path). Measured on the payments upsert:
 * 0.3 ms, against 0.8 ms unnamed and 2 ms through DataSource.query. Only for hot statements (payments,
 * idempotency, the inbox). A name must always go with the same text. Unnamed without a name: planned on
 * every call, for the current size of its tables (a generic plan made while a table was small can stay on
 * a scan after it has grown).
 */
export async function preparedQuery<T = Record<string, unknown>>(
  on: On,
  name: string | undefined,
  text: string,
  values: unknown[],
): Promise<T[]> {
  return (await send(on, name, text, values)).rows as T[];
}

/** Like {@link preparedQuery}, for a statement without RETURNING: how many rows it wrote. Unnamed without a name. */
export async function preparedCommand(on: On, name: string | undefined, text: string, values: unknown[]): Promise<number> {
  return (await send(on, name, text, values)).rowCount ?? 0;
}

/**
 * An unnamed statement through an EntityManager, without TypeORM's query wrapper: on its transaction's connection
 * when it has one (the worker's batch, the inbox's receipt path), else on the pool. Unnamed, so planned on every
 * call for the tables as they are: a named statement's generic plan, made while a table is small, can stay a
 * scan after it has grown, and one prepared under a DO INSTEAD NOTHING rule stays a no-op after the rule is gone.
 */
export async function managerQuery<T = Record<string, unknown>>(m: EntityManager, text: string, values: unknown[]): Promise<T[]> {
  const runner = m.queryRunner;
  if (!runner) return preparedQuery<T>(m.connection, undefined, text, values);
  await runner.connect(); // its connection (a no-op in a transaction, which holds one already)
  return preparedQuery<T>(runner, undefined, text, values);
}
