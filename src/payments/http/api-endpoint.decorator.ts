import { applyDecorators, HttpCode, Type } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOperation, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { Idempotent } from '../../common/idempotency/idempotent.decorator';
import { ProblemResponseDto } from './problem-response.dto';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (fields named in `errors`), or Stripe refused the parameters',
  401: 'Missing or wrong API key',
  402: 'The card was declined: `code`, `declineCode`, `stripeRequestId`; the stored payment reflects Stripe',
  404: 'Not found here (or `stripe_resource_missing` at Stripe)',
  409: 'Not allowed in the current state (no Stripe call was made), or a request with this Idempotency-Key is in progress',
  422: 'This Idempotency-Key was used with a different request',
  429: 'Stripe rate-limited us: retry after Retry-After seconds with the same Idempotency-Key',
  502: 'Stripe failed or did not answer: the outcome is unknown; retry with the same Idempotency-Key',
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
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemResponseDto) } } },
      }),
    ),
    ...(options.idempotent ? [Idempotent()] : []),
  );
}
