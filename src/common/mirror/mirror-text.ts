// Text PostgreSQL cannot store: NUL (text and jsonb refuse it) and lone UTF-16 surrogates (invalid UTF-8).
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Mirrored text as PostgreSQL can store it: NUL removed, lone surrogates replaced by U+FFFD. Another
 * integration may write such text at Stripe; refusing it would dead-letter a real state change.
 */
export function storableText<T>(value: T): T {
  if (typeof value === 'string') return value.replace(UNSTORABLE, (c) => (c === '\u0000' ? '' : '\ufffd')) as T;
  if (Array.isArray(value)) return value.map(storableText) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableText(v)])) as T;
  }
  return value;
}
