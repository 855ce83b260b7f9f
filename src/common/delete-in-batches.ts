import type { DataSource } from 'typeorm';

/**
 * Runs a `DELETE ... WHERE key IN (SELECT key ... LIMIT $n)` again until it deletes fewer than `batch`
 * rows: retention jobs delete in short transactions that never hold a long lock on a hot table.
 * `sql` takes the batch size as its last parameter. Returns how many rows were deleted.
 */
export async function deleteInBatches(db: DataSource, sql: string, params: unknown[], batch = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const [, deleted]: [unknown, number] = await db.query(sql, [...params, batch]);
    total += Number(deleted ?? 0);
    if (Number(deleted ?? 0) < batch) return total;
  }
}
