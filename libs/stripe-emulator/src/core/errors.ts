import { completeObject } from './shapes';

export interface StripeErrorInit {
  type?: string;
  code?: string;
  declineCode?: string;
  param?: string;
  paymentIntent?: unknown;
  /** Further fields of the error object (charge, payment_method). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Rejected before execution: Stripe does not save these for idempotency. */
  preExecution?: boolean;
}

/** An error answered in Stripe's `{ error: {...} }` shape. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly init: StripeErrorInit = {},
  ) {
    super(message);
  }

  toBody(requestId: string): { error: Record<string, unknown> } {
    const { type, code, declineCode, param, paymentIntent } = this.init;
    const error: Record<string, unknown> = {
      type: type ?? defaultType(this.status),
      message: this.message,
    };
    if (code) error.code = code;
    if (declineCode) error.decline_code = declineCode;
    if (param) error.param = param;
    if (paymentIntent) error.payment_intent = completeObject(paymentIntent);
    for (const [key, value] of Object.entries(this.init.extra ?? {})) error[key] = completeObject(value);
    if (code) error.doc_url = docUrl(code);
    error.request_log_url = requestLogUrl(requestId);
    return { error };
  }
}

export const docUrl = (code: string) => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

/** Stripe links every failed API request to its dashboard log; the emulator has no dashboard, but the link's form is kept. */
export const requestLogUrl = (requestId: string) => `https://dashboard.stripe.com/test/logs/${requestId}`;

/**
 * Stripe's specification knows four error types. An invalid key (401), a permission error (403) and a
 * rate limit (429) are invalid_request_error with that status; the SDK picks its error class from the status.
 */
export function defaultType(status: number): 'api_error' | 'card_error' | 'invalid_request_error' {
  if (status === 402) return 'card_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export function invalid(message: string, code?: string, param?: string): StripeApiError {
  return new StripeApiError(400, message, { code, param });
}

export function missingResource(kind: string, id: string, param?: string): StripeApiError {
  return new StripeApiError(404, `No such ${kind}: '${id}'`, { code: 'resource_missing', param });
}

export function unexpectedState(kind: string, action: string, status: string): StripeApiError {
  return new StripeApiError(400, `You cannot ${action} this ${kind} because it has a status of ${status}.`, {
    code: `${kind.replace(/ /g, '_').toLowerCase()}_unexpected_state`,
  });
}
