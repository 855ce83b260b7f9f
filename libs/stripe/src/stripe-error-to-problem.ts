import Stripe from 'stripe';
import { problem, ProblemDetails } from '../../../src/common/errors/problem';

export interface StripeProblem {
  problem: ProblemDetails;
  headers: Record<string, string>;
  /** Asks the error filter to log the error with its stack; Stripe errors never need it (StripeModule logs credential failures). */
  unexpected: boolean;
}

const UNKNOWN_OUTCOME =
  'Stripe did not answer definitively, so the outcome is unknown. Retry the same request with the same Idempotency-Key: it will not charge or refund twice.';

/** Stripe parameters that carry an id our callers send in a request body, and the body field they came from. */
const BODY_FIELDS: Record<string, string> = {
  payment_method: 'paymentMethod',
  default_payment_method: 'paymentMethod',
  'items[0][price]': 'priceId',
  'invoice_settings[default_payment_method]': 'defaultPaymentMethod',
  test_clock: 'testClock',
};

/**
 * Maps an error thrown by the Stripe SDK to this service's problem details; `undefined` for anything else.
 * Pure: no logging, no I/O. Never copies key material into the answer.
 */
export function stripeErrorToProblem(error: unknown): StripeProblem | undefined {
  if (!(error instanceof Stripe.errors.StripeError)) return undefined;
  const stripeRequestId = error.requestId ?? null;
  const base = { stripeRequestId };
  const ok = (p: ProblemDetails, headers: Record<string, string> = {}): StripeProblem => ({ problem: p, headers, unexpected: false });

  if (error instanceof Stripe.errors.StripeCardError) {
    const intent = error.payment_intent;
    return ok(
      problem(402, error.code ?? 'card_declined', error.message, {
        ...base,
        declineCode: error.decline_code ?? null,
        ...(intent?.status ? { paymentStatus: intent.status } : {}),
      }),
    );
  }
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    return ok(problem(409, 'stripe_idempotency_error', 'Stripe refused the request as a conflicting reuse of an idempotency key.', base));
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    const field = error.code === 'resource_missing' && error.param ? BODY_FIELDS[error.param] : undefined;
    if (field) {
      // A Stripe id the caller put in the body (priceId, paymentMethod): 400 naming the field, the rule for every body reference.
      return ok(
        problem(400, 'stripe_resource_missing', error.message, {
          ...base,
          param: error.param,
          errors: [{ field, message: error.message }],
        }),
      );
    }
    if (error.code === 'resource_missing' || error.statusCode === 404) {
      return ok(problem(404, 'stripe_resource_missing', error.message, { ...base, param: error.param ?? null }));
    }
    return ok(problem(400, error.code ?? 'stripe_invalid_request', error.message, { ...base, param: error.param ?? null }));
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) {
    const retryAfter = header(error, 'retry-after') ?? '1';
    return ok(
      problem(429, 'stripe_rate_limited', 'Stripe is rate limiting this service; retry later with the same Idempotency-Key.', base),
      {
        'Retry-After': retryAfter,
      },
    );
  }
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
    // Stripe's message can echo a masked key: none of it goes out, nor into the log (see StripeModule).
    return ok(
      problem(
        502,
        'stripe_configuration_error',
        'The payments service could not authenticate with Stripe. Operators have been alerted.',
        base,
      ),
    );
  }
  return ok(problem(502, 'stripe_unavailable', UNKNOWN_OUTCOME, base));
}

function header(error: Stripe.errors.StripeError, name: string): string | undefined {
  const headers = error.headers as Record<string, string | string[] | undefined> | undefined;
  const value = headers?.[name] ?? headers?.[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
