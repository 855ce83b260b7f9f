import { HttpException } from '@nestjs/common';
import { fromDatabaseOutage } from './database-unavailable';
import { problem, ProblemDetails, ProblemException } from './problem';

export interface MappedError {
  problem: ProblemDetails;
  headers: Record<string, string>;
  /** True when the error is ours to investigate: it is logged with its stack. */
  unexpected: boolean;
  /** Extra facts for the log line (never sent to the client). */
  logContext?: Record<string, unknown>;
}

type ErrorMapper = (error: unknown) => MappedError | undefined;
const mappers: ErrorMapper[] = [];

/** Lets a feature teach the error filter about its own error family (the Stripe library does). */
export function registerErrorMapper(mapper: ErrorMapper): void {
  if (!mappers.includes(mapper)) mappers.push(mapper);
}

const CODES_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  431: 'headers_too_large',
  503: 'service_unavailable',
};

// Errors raised by Fastify itself before a route handler runs (body parsing, limits, routing).
function fromFastify(error: { code?: string; statusCode?: number; message: string }): MappedError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        problem: problem(415, 'unsupported_media_type', 'Send JSON with Content-Type: application/json.'),
        headers: {},
        unexpected: false,
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        problem: problem(413, 'payload_too_large', 'The request body is larger than this endpoint accepts.'),
        headers: {},
        unexpected: false,
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { problem: problem(400, 'malformed_json', 'The body is empty but Content-Type says JSON.'), headers: {}, unexpected: false };
    case 'FST_ERR_BAD_URL':
      return { problem: problem(400, 'malformed_url', 'The URL is not valid (a bad percent-encoding?).'), headers: {}, unexpected: false };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        problem: problem(414, 'uri_too_long', 'A path parameter is longer than this service accepts.'),
        headers: {},
        unexpected: false,
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { problem: problem(400, 'bad_request', 'Content-Length does not match the body.'), headers: {}, unexpected: false };
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { problem: problem(400, 'malformed_json', 'The request body is not valid JSON.'), headers: {}, unexpected: false };
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    const code = CODES_BY_STATUS[error.statusCode] ?? 'bad_request';
    return { problem: problem(error.statusCode, code, error.message), headers: {}, unexpected: false };
  }
  return undefined;
}

function fromHttpException(error: HttpException): MappedError {
  const status = error.getStatus();
  const response = error.getResponse();
  let detail = error.message;
  if (typeof response === 'object' && response !== null) {
    const message = (response as { message?: unknown }).message;
    if (typeof message === 'string') detail = message;
    else if (Array.isArray(message)) detail = message.join('; ');
  }
  return {
    problem: problem(status, CODES_BY_STATUS[status] ?? 'error', detail),
    headers: {},
    unexpected: status >= 500 && status !== 502 && status !== 503,
  };
}

/** Maps anything thrown while handling a request to the one error shape of this service. */
export function toProblem(error: unknown): MappedError {
  if (error instanceof ProblemException)
    return {
      problem: error.toProblem(),
      headers: error.headers,
      unexpected: error.status >= 500 && error.status !== 502 && error.status !== 503,
    };
  for (const mapper of mappers) {
    const mapped = mapper(error);
    if (mapped) return mapped;
  }
  const outage = fromDatabaseOutage(error);
  if (outage) return outage;
  if (error instanceof HttpException) {
    // Nest wraps Fastify's own errors (body parsing, limits) in an HttpException; the cause says which.
    const cause = error.cause as (Error & { code?: string; statusCode?: number }) | undefined;
    return (cause?.code?.startsWith('FST_') && fromFastify(cause)) || fromHttpException(error);
  }
  if (error instanceof Error) {
    const mapped = fromFastify(error as Error & { code?: string; statusCode?: number });
    if (mapped) return mapped;
  }
  return {
    problem: problem(500, 'internal_error', 'An unexpected error occurred. It has been logged; quote the requestId when reporting it.'),
    headers: {},
    unexpected: true,
  };
}
