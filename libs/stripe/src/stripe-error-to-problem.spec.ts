import Stripe from 'stripe';
import { stripeErrorToProblem } from './stripe-error-to-problem';

const raw = (extra: Record<string, unknown>) => ({ message: 'Stripe said no', requestId: 'req_123', headers: {}, ...extra });

describe('stripeErrorToProblem', () => {
  it('ignores anything that is not a Stripe error', () => {
    expect(stripeErrorToProblem(new Error('boom'))).toBeUndefined();
    expect(stripeErrorToProblem('nope')).toBeUndefined();
  });

  it('card_error -> 402 with code, declineCode, stripeRequestId and the intent status', () => {
    const error = new Stripe.errors.StripeCardError(
      raw({
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
        statusCode: 402,
        payment_intent: { id: 'pi_1', status: 'requires_payment_method' },
      }) as never,
    );
    const mapped = stripeErrorToProblem(error)!;
    expect(mapped.problem).toMatchObject({
      status: 402,
      code: 'card_declined',
      declineCode: 'insufficient_funds',
      detail: 'Your card has insufficient funds.',
      stripeRequestId: 'req_123',
      paymentStatus: 'requires_payment_method',
      type: '/problems/card-declined',
      title: 'Payment Required',
    });
    expect(mapped.unexpected).toBe(false);
  });

  it('invalid_request_error -> 400 with the param, or 404 for resource_missing', () => {
    const bad = stripeErrorToProblem(
      new Stripe.errors.StripeInvalidRequestError(
        raw({ type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'amount', statusCode: 400 }) as never,
      ),
    )!;
    expect(bad.problem).toMatchObject({ status: 400, code: 'parameter_invalid_integer', param: 'amount', stripeRequestId: 'req_123' });
    const missing = stripeErrorToProblem(
      new Stripe.errors.StripeInvalidRequestError(
        raw({ type: 'invalid_request_error', code: 'resource_missing', statusCode: 404 }) as never,
      ),
    )!;
    expect(missing.problem).toMatchObject({ status: 404, code: 'stripe_resource_missing', stripeRequestId: 'req_123' });
    // An id the caller sent in the body: 400 naming our field (README "Errors").
    const price = stripeErrorToProblem(
      new Stripe.errors.StripeInvalidRequestError(
        raw({
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: 'items[0][price]',
          message: "No such price: 'price_x'",
          statusCode: 404,
        }) as never,
      ),
    )!;
    expect(price.problem).toMatchObject({
      status: 400,
      code: 'stripe_resource_missing',
      errors: [{ field: 'priceId', message: "No such price: 'price_x'" }],
    });
  });

  it('idempotency_error -> 409', () => {
    const mapped = stripeErrorToProblem(
      new Stripe.errors.StripeIdempotencyError(raw({ type: 'idempotency_error', statusCode: 400 }) as never),
    )!;
    expect(mapped.problem).toMatchObject({ status: 409, code: 'stripe_idempotency_error', stripeRequestId: 'req_123' });
  });

  it('rate limit -> 429 with Retry-After (Stripe value, else 1)', () => {
    const given = stripeErrorToProblem(
      new Stripe.errors.StripeRateLimitError(raw({ type: 'rate_limit_error', statusCode: 429, headers: { 'retry-after': '7' } }) as never),
    )!;
    expect(given.problem).toMatchObject({ status: 429, code: 'stripe_rate_limited' });
    expect(given.headers).toEqual({ 'Retry-After': '7' });
    const none = stripeErrorToProblem(new Stripe.errors.StripeRateLimitError(raw({ type: 'rate_limit_error', statusCode: 429 }) as never))!;
    expect(none.headers).toEqual({ 'Retry-After': '1' });
  });

  it.each([
    [
      'authentication',
      new Stripe.errors.StripeAuthenticationError(
        raw({ type: 'authentication_error', statusCode: 401, message: 'Invalid API Key provided: sk_test_****abcd' }) as never,
      ),
    ],
    [
      'permission',
      new Stripe.errors.StripePermissionError(
        raw({ type: 'permission_error', statusCode: 403, message: 'The provided key sk_live_xyz does not have access' }) as never,
      ),
    ],
  ])('%s -> 502 configuration error, no key material in the answer', (_label, error) => {
    const mapped = stripeErrorToProblem(error)!;
    expect(mapped.problem).toMatchObject({ status: 502, code: 'stripe_configuration_error', stripeRequestId: 'req_123' });
    expect(JSON.stringify(mapped.problem)).not.toMatch(/sk_|key provided/i);
  });

  it.each([
    ['api_error', new Stripe.errors.StripeAPIError(raw({ type: 'api_error', statusCode: 500 }) as never)],
    ['connection error', new Stripe.errors.StripeConnectionError({ message: 'socket hang up' } as never)],
  ])('%s -> 502 whose detail says the outcome is unknown and to retry with the same Idempotency-Key', (_label, error) => {
    const mapped = stripeErrorToProblem(error)!;
    expect(mapped.problem).toMatchObject({ status: 502, code: 'stripe_unavailable' });
    expect(mapped.problem.detail).toMatch(/outcome is unknown/);
    expect(mapped.problem.detail).toMatch(/same Idempotency-Key/);
    expect(mapped.unexpected).toBe(false);
  });
});
