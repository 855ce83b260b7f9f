import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

export interface OperationRequest {
  operationId?: string;
}

/**
 * The id of this operation: the idempotency record's id when an Idempotency-Key was sent, so a retry
 * gets the same one (and reuses the same local row id and Stripe idempotency key); a random uuid otherwise.
 */
export const OperationId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const request = ctx.switchToHttp().getRequest<OperationRequest>();
  request.operationId ??= randomUUID();
  return request.operationId;
});
