import { applyDecorators, HttpCode, Type } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOperation, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ProblemResponseDto } from './problem-response.dto';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (fields named in `errors`): also an id in the body that names nothing (`customer_not_found`, `payment_not_found`, `stripe_resource_missing`), or Stripe refused the parameters',
  401: 'Missing or wrong API key',
  402: 'The card was declined: `code`, `declineCode`, `stripeRequestId`; the stored payment reflects Stripe',
  404: 'No object with the id in the URL',
  409: 'Not allowed in the current state (no Stripe call was made), or a request with this Idempotency-Key is in progress',
  422: 'This Idempotency-Key was used with a different request',
  429: 'Stripe rate-limited us: retry after Retry-After seconds with the same Idempotency-Key',
  502: 'Stripe failed or did not answer: the outcome is unknown; retry with the same Idempotency-Key',
};

const EXAMPLES: Record<number, Record<string, unknown>> = {
  400: {
    type: '/problems/validation-failed',
    title: 'Bad Request',
    status: 400,
    detail: 'Request validation failed: amount',
    code: 'validation_failed',
    requestId: '7b1c9c1e-2f5e-4a39-a7a5-5b5d0c3f2e11',
    errors: [{ field: 'amount', message: 'amount must be at least 50 (0.50 usd)' }],
  },
  401: {
    type: '/problems/unauthorized',
    title: 'Unauthorized',
    status: 401,
    detail: 'Send a valid API key as "Authorization: Bearer <key>".',
    code: 'unauthorized',
    requestId: '7b1c9c1e-2f5e-4a39-a7a5-5b5d0c3f2e11',
  },
  402: {
    type: '/problems/card-declined',
    title: 'Payment Required',
    status: 402,
    detail: 'Your card has insufficient funds.',
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    stripeRequestId: 'req_9Fh3kQ2ZlVbXy1',
    paymentId: '3a0d6c2e-5b7f-4f0e-9f6a-1c2b3d4e5f60',
    paymentStatus: 'requires_payment_method',
    requestId: '7b1c9c1e-2f5e-4a39-a7a5-5b5d0c3f2e11',
  },
  404: {
    type: '/problems/payment-not-found',
    title: 'Not Found',
    status: 404,
    detail: 'No payment 3a0d6c2e-5b7f-4f0e-9f6a-1c2b3d4e5f60.',
    code: 'payment_not_found',
    requestId: '7b1c9c1e-2f5e-4a39-a7a5-5b5d0c3f2e11',
  },
  409: {
    type: '/problems/payment-not-capturable',
    title: 'Conflict',
    status: 409,
    detail: 'A payment in status succeeded cannot be captured; allowed from: requires_capture.',
    code: 'payment_not_capturable',
    paymentStatus: 'succeeded',
    requestId: '7b1c9c1e-2f5e-4a39-a7a5-5b5d0c3f2e11',
  },
  422: {
    type: '/problems/idempotency-key-reused',
    title: 'Unprocessable Content',
    status: 422,
    detail: 'This Idempotency-Key was used with a different request; use a new key for a new request.',
    code: 'idempotency_key_reused',
    requestId: '7b1c9c1e-2f5e-4a39-a7a5-5b5d0c3f2e11',
  },
  429: {
    type: '/problems/stripe-rate-limited',
    title: 'Too Many Requests',
    status: 429,
    detail: 'Stripe is rate limiting this service; retry later with the same Idempotency-Key.',
    code: 'stripe_rate_limited',
    stripeRequestId: 'req_9Fh3kQ2ZlVbXy1',
    requestId: '7b1c9c1e-2f5e-4a39-a7a5-5b5d0c3f2e11',
  },
  502: {
    type: '/problems/stripe-unavailable',
    title: 'Bad Gateway',
    status: 502,
    detail:
      'Stripe did not answer definitively, so the outcome is unknown. Retry the same request with the same Idempotency-Key: it will not charge or refund twice.',
    code: 'stripe_unavailable',
    stripeRequestId: 'req_9Fh3kQ2ZlVbXy1',
    requestId: '7b1c9c1e-2f5e-4a39-a7a5-5b5d0c3f2e11',
  },
};

export interface EndpointOptions {
  summary: string;
  description?: string;
  /** Success status; POST routes default to 201. */
  status?: number;
  response: Type<unknown> | [Type<unknown>];
  errors?: number[];
  /** Adds the Idempotency-Key behaviour (POST routes). */
  idempotent?: boolean;
}

/** One decorator per route for its whole OpenAPI description (and, for POSTs, idempotency). */
export function ApiEndpoint(options: EndpointOptions): MethodDecorator {
  const status = options.status ?? 200;
  const errors = [401, ...(options.errors ?? [])];
  const type = Array.isArray(options.response) ? options.response[0] : options.response;
  return applyDecorators(
    ApiBearerAuth(),
    ApiExtraModels(ProblemResponseDto),
    ApiOperation({ summary: options.summary, description: options.description }),
    HttpCode(status),
    ApiResponse({ status, type, isArray: Array.isArray(options.response), description: 'Success' }),
    ...errors.map((code) =>
      ApiResponse({
        status: code,
        description: ERROR_DESCRIPTIONS[code] ?? 'Error',
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(ProblemResponseDto) },
            ...(EXAMPLES[code] ? { example: EXAMPLES[code] } : {}),
          },
        },
      }),
    ),
    ...(options.idempotent ? [Idempotent()] : []),
  );
}
