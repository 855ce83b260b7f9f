/** Rows changed by a raw `query()`: the pg driver answers an UPDATE ... RETURNING through TypeORM as [rows, count]. */
export function rowCount(result: unknown[]): number {
  return Array.isArray(result[0]) ? (result[0] as unknown[]).length : result.length;
}
