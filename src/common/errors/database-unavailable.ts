import { problem } from './problem';
import type { MappedError } from './to-problem';

// Socket-level failures of the pool's connections, as Node and pg report them.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// SQLSTATEs that say "the server is not there for you now", not "your statement is wrong":
// 08xxx connection exceptions, 53300 too_many_connections, 57P01-57P03 shutdown / crash / not accepting yet.
const UNAVAILABLE_SQLSTATE = /^(08...|53300|57P0[123])$/;
// pg and pg-pool raise these as plain Errors without a code (a dropped connection, an exhausted pool).
const UNAVAILABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

interface MaybeDriverError {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
}

/** Why the database is unreachable (a code or pg's message), or undefined when the error is something else. */
export function databaseUnavailableReason(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 3) return undefined;
  const { code, message, driverError, cause } = error as MaybeDriverError;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return code;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return message.split(/[:(]/)[0].trim();
  // TypeORM wraps the driver's error (QueryFailedError.driverError); Nest and pg chain others as cause.
  return databaseUnavailableReason(driverError, depth + 1) ?? databaseUnavailableReason(cause, depth + 1);
}

export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** A database that is down or a pool that is exhausted: 503 with Retry-After on every route, never a 500. */
export function fromDatabaseOutage(error: unknown): MappedError | undefined {
  const reason = databaseUnavailableReason(error);
  if (!reason) return undefined;
  return {
    problem: problem(503, 'database_unavailable', 'The database is not answering right now; retry after the time in Retry-After.'),
    headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
    unexpected: false,
    logContext: { reason },
  };
}
