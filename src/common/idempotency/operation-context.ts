import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from 'typeorm';

/** The idempotency record a request runs under (set by IdempotencyInterceptor when an Idempotency-Key was sent). */
export interface OperationContext {
  operationId: string;
  /** Status the route answers on success (201 for creates, else its @HttpCode). */
  successStatus: number;
  /** Set once the record was completed inside the feature's own final transaction. */
  completed: boolean;
}

export const operationContext = new AsyncLocalStorage<OperationContext>();

/**
 * The exact text of a JSON answer as it goes out: Fastify serialises a route's (schema-less) return value
 * and our problem bodies with JSON.stringify, so the stored text is byte for byte what was sent, key order
 * included, and a replay sends it unchanged (never re-serialised from jsonb).
 */
export const responseText = (body: unknown): string => JSON.stringify(body ?? null);

/**
 * Completes the current request's idempotency record inside the caller's transaction, so the local row
 * and the record commit together (one commit instead of two, and no window where one exists without
 * the other). `response` must be exactly what the route returns. A no-op without an Idempotency-Key.
 * `correct` overwrites a response this request already stored (used when a prediction turned out wrong).
 */
export async function completeOperationIn(manager: EntityManager, response: unknown, correct = false): Promise<void> {
  const ctx = operationContext.getStore();
  if (!ctx || (ctx.completed && !correct)) return;
  await manager.query(
    `UPDATE idempotency_keys SET status = 'completed', locked_until = NULL, response_status = $2, response_text = $3 WHERE id = $1 AND status = $4`,
    [ctx.operationId, ctx.successStatus, responseText(response), correct ? 'completed' : 'in_progress'],
  );
  ctx.completed = true;
}
