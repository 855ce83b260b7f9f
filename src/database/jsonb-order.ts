/**
 * `value` with every object's keys in the order PostgreSQL's jsonb keeps them (shorter keys first, then by
 * their UTF-8 bytes): what reading the value back from a jsonb column gives. A response computed before
 * its row is written then matches, byte for byte, what a later read of that row answers.
 */
export function jsonbOrdered<T>(value: T): T {
  if (Array.isArray(value)) return value.map(jsonbOrdered) as T;
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  const bytes = new Map(keys.map((k) => [k, Buffer.from(k)]));
  keys.sort((a, b) => bytes.get(a)!.length - bytes.get(b)!.length || Buffer.compare(bytes.get(a)!, bytes.get(b)!));
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = jsonbOrdered((value as Record<string, unknown>)[k]);
  return out as T;
}
