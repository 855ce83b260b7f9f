import type { Pool, PoolClient } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * Runs a named, server-side prepared statement on TypeORM's own pool (autocommit; never inside a
 * transaction): PostgreSQL plans it once per connection. Measured on the payments upsert: 0.3 ms, against
 * 0.8 ms unnamed and 2 ms through DataSource.query. Only for hot statements (payments, idempotency, the inbox).
 * A name must always go with the same text. Unnamed without a name: planned on every call, for the current
 * size of its tables (a generic plan made while a table was small can stay on a scan after it has grown).
 */
export async function preparedQuery<T = Record<string, unknown>>(
  dataSource: DataSource,
  name: string | undefined,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  return (await pool.query(name ? { name, text, values } : { text, values })).rows as T[];
}

/** Like {@link preparedQuery}, for a statement without RETURNING: how many rows it wrote. Unnamed without a name. */
export async function preparedCommand(dataSource: DataSource, name: string | undefined, text: string, values: unknown[]): Promise<number> {
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  return (await pool.query(name ? { name, text, values } : { text, values })).rowCount ?? 0;
}

/**
 * {@link preparedQuery} on a QueryRunner's own connection, so inside its transaction (the inbox's receipt
 * path). Unnamed without a name.
 */
export async function preparedQueryIn<T = Record<string, unknown>>(
  runner: QueryRunner,
  name: string | undefined,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const client = (runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
  return (await client.query(name ? { name, text, values } : { text, values })).rows as T[];
}
