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

  toBody(): { error: Record<string, unknown> } {
    const { type, code, declineCode, param, paymentIntent } = this.init;
    const error: Record<string, unknown> = {
      type: type ?? defaultType(this.status),
      message: this.message,
    };
    if (code) error.code = code;
    if (declineCode) error.decline_code = declineCode;
    if (param) error.param = param;
    if (paymentIntent) error.payment_intent = paymentIntent;
    Object.assign(error, this.init.extra ?? {});
    if (code) error.doc_url = `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
    return { error };
  }
}

export function defaultType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 402) return 'card_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
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
