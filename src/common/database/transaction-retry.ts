import type { DataSource, EntityManager } from 'typeorm';

/** SQLSTATEs after which PostgreSQL has rolled the whole transaction back and running it again is the cure. */
const RETRYABLE = new Set(['40P01' /* deadlock_detected */, '40001' /* serialization_failure */]);

function sqlState(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Runs `work` in a transaction, again (up to `attempts` times) when PostgreSQL chose it as a deadlock victim.
 * Only for idempotent work: lock, decide, write, as the mirror does. Two writers of several rows (our API's
 * write and a worker batch holding other rows of the same objects) can take locks in different orders; the
 * victim's rollback left nothing behind, so the retry sees the winner's committed state and decides again.
 */
export function transactionWithRetry<T>(db: DataSource | EntityManager, work: (m: EntityManager) => Promise<T>, attempts = 3): Promise<T> {
  return retryWhenVictim(() => db.transaction(work), attempts);
}

/** Runs `transaction` (one transaction: several statements, or one autocommitted statement) again when it was a deadlock victim. */
export async function retryWhenVictim<T>(transaction: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= attempts || !RETRYABLE.has(sqlState(error) ?? '')) throw error;
    }
  }
}
