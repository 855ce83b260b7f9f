import { HttpStatus } from '@nestjs/common';

/** RFC 9457 problem details, as every error of this service is rendered. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface FieldError {
  field: string;
  message: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export const problemType = (code: string) => `/problems/${code.replace(/_/g, '-')}`;

export function problem(status: number, code: string, detail: string, extensions: Record<string, unknown> = {}): ProblemDetails {
  return { type: problemType(code), title: TITLES[status] ?? HttpStatus[status] ?? 'Error', status, detail, code, ...extensions };
}

/**
 * Throw this from any layer to answer with a precise problem: the status, a stable machine-readable
 * `code` callers can branch on, a human `detail`, and optional extension members.
 */
export class ProblemException extends Error {
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ProblemException';
    this.headers = headers;
  }

  toProblem(): ProblemDetails {
    return problem(this.status, this.code, this.message, this.extensions);
  }
}

export class ValidationProblem extends ProblemException {
  constructor(errors: FieldError[]) {
    super(400, 'validation_failed', `Request validation failed: ${errors.map((e) => e.field).join(', ')}`, { errors });
  }
}

/**
 * The one rule for an id in a request BODY that names nothing (ours, like `customerId`, or Stripe's, like
 * `priceId`): 400 naming the field, as a validation failure does. 404 stays for the URL's own id: a 404 on
 * `POST /v1/payments` would read as "no such route" to clients, proxies and alerts (README "Errors").
 */
export class UnknownReference extends ProblemException {
  constructor(code: string, field: string, detail: string) {
    super(400, code, detail, { errors: [{ field, message: detail }] });
  }
}
