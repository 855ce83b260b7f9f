import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/api-key-auth';
import { PROBLEM_CONTENT_TYPE, ProblemException } from '../errors/problem';
import { toProblem } from '../errors/to-problem';
import { idempotencyRequests, OUTCOME_LABEL } from './idempotency-metrics';
import { IdempotencyService } from './idempotency.service';
import type { OperationRequest } from './operation-id.decorator';
import { OperationContext, operationContext } from './operation-context';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const HTTP_CODE_METADATA = '__httpCode__';
// Answers that say what happened: replayed as they are. Anything else (5xx, 429) leaves the key retryable.
const DEFINITIVE = new Set([400, 402, 404, 409, 422]);
// Refused before anything ran: the key is freed so the caller can correct the request and reuse it.
const NOT_EXECUTED = new Set(['validation_failed', 'malformed_json']);

type Request = FastifyRequest & AuthenticatedRequest & OperationRequest;

let operationsInFlight = 0;

/** Idempotency-Key for POST routes: first answer replayed, concurrent duplicates refused, body changes refused. */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly keys: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const key = request.headers[IDEMPOTENCY_HEADER];
    if (request.method !== 'POST' || key === undefined) return next.handle();
    if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
      throw new ProblemException(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters.');
    }
    const successStatus = this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;
    return from(this.run(request, key, successStatus, next));
  }

  // One promise rather than an operator chain: this runs on every POST with a key (#16 profiled the create path).
  private async run(request: Request, key: string, successStatus: number, next: CallHandler): Promise<unknown> {
    const outcome = await this.keys.begin({
      apiKeyName: request.apiKeyName ?? '',
      key,
      method: request.method,
      path: request.url,
      body: request.body,
    });
    idempotencyRequests.inc({ outcome: OUTCOME_LABEL[outcome.kind] });
    switch (outcome.kind) {
      case 'replay':
        return replay(outcome.status, outcome.text);
      case 'mismatch':
        throw new ProblemException(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was used with a different request; use a new key for a new request.',
        );
      case 'in_progress':
        throw new ProblemException(
          409,
          'idempotency_request_in_progress',
          'A request with this Idempotency-Key is still being processed; retry shortly.',
          {},
          { 'Retry-After': '1' },
        );
    }
    request.operationId = outcome.operationId;
    const ctx: OperationContext = { operationId: outcome.operationId, successStatus, completed: false };
    let body: unknown;
    try {
      body = await handleWithin(ctx, next);
    } catch (error) {
      await this.settleFailure(outcome.operationId, error, request);
      throw error;
    }
    // Usually done already, in the same transaction as the feature's final write.
    if (!ctx.completed) await this.keys.complete(outcome.operationId, successStatus, body);
    return body;
  }

  private async settleFailure(operationId: string, error: unknown, request: Request) {
    const { problem } = toProblem(error);
    if (NOT_EXECUTED.has(problem.code)) return this.keys.forget(operationId);
    if (DEFINITIVE.has(problem.status))
      return this.keys.complete(operationId, problem.status, { ...problem, requestId: String(request.id) });
    return this.keys.release(operationId);
  }
}

/** The route's answer, its handler run under `ctx`. */
async function handleWithin(ctx: OperationContext, next: CallHandler): Promise<unknown> {
  operationsInFlight++;
  try {
    return await operationContext.run(ctx, () => lastValueFrom(next.handle(), { defaultValue: undefined }));
  } finally {
    // As requestContext does: once enabled, an AsyncLocalStorage costs every promise of the process on
    // Node 20 (the webhook receiver's included), so it is switched off while no operation runs.
    if (--operationsInFlight === 0) operationContext.disable();
  }
}

// A web Response is sent as it is by Nest (its status wins over the route's default 201): the stored text, unchanged.
function replay(status: number, text: string): Response {
  return new Response(text, {
    status,
    // As Fastify labelled the first answer: it appends the charset to every JSON type it serialises.
    headers: { 'content-type': `${status >= 400 ? PROBLEM_CONTENT_TYPE : 'application/json'}; charset=utf-8`, [REPLAYED_HEADER]: 'true' },
  });
}
