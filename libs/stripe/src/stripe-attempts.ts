import Stripe from 'stripe';

/** How one HTTP attempt at Stripe ended, in the categories operators alert on. */
export type StripeAttemptOutcome = 'ok' | 'card_error' | 'invalid_request' | 'rate_limited' | 'api_error' | 'connection_error';

/** One HTTP attempt of the SDK (a call it retries makes several), reported by {@link StripeModuleOptions.onAttempt}. */
export interface StripeAttempt {
  /** Method and path with object ids replaced by `{id}`: `POST /v1/payment_intents/{id}/confirm`. */
  operation: string;
  outcome: StripeAttemptOutcome;
  /** HTTP status, absent when no response came (connection error, timeout). */
  status?: number;
  /** Until the response headers arrived, or the attempt failed. */
  durationMs: number;
  /** The SDK's automatic retry of an earlier attempt that failed in a retryable way (same request, same idempotency key). */
  retry: boolean;
}

// A Stripe id segment: prefix, underscore, then a token with digits or capitals (resource names have neither).
const ID_SEGMENT = /^[a-z]+(?:_[a-z]+)*_(?=[A-Za-z0-9]*[0-9A-Z])[A-Za-z0-9]+$/;

export function stripeOperation(method: string, path: string): string {
  const bare = path.split('?', 1)[0];
  return `${method} ${bare
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? '{id}' : segment))
    .join('/')}`;
}

export function stripeOutcome(status: number): StripeAttemptOutcome {
  if (status < 400) return 'ok';
  if (status === 402) return 'card_error';
  if (status === 429) return 'rate_limited';
  if (status < 500) return 'invalid_request';
  return 'api_error';
}

// The SDK's own retry rule (RequestSender._shouldRetry), minus the attempt budget it alone knows.
function retryable(status: number, shouldRetry: string | undefined): boolean {
  if (shouldRetry === 'true') return true;
  if (shouldRetry === 'false') return false;
  return status === 409 || status >= 500;
}

const FORGET_AFTER_MS = 60_000;

/**
 * Wraps the SDK's HTTP client to report every attempt. The SDK's 'request'/'response' events cannot do it:
 * 'response' comes only for the final answer and never for a connection error. A retry is recognised by
 * the same method, path and Idempotency-Key as an attempt that just failed retryably.
 */
export class ObservedHttpClient extends Stripe.HttpClient {
  // Insertion-ordered: the oldest entries are at the front, so expiring them is cheap.
  private readonly awaitingRetry = new Map<string, number>();

  constructor(
    private readonly inner: Stripe.HttpClient,
    private readonly report: (attempt: StripeAttempt) => void,
  ) {
    super();
  }

  override getClientName(): string {
    return this.inner.getClientName();
  }

  override makeRequest(...args: Parameters<Stripe.HttpClient['makeRequest']>): ReturnType<Stripe.HttpClient['makeRequest']> {
    const [, , path, method, headers] = args;
    const key = `${method} ${path} ${String(headers['Idempotency-Key'] ?? '')}`;
    const retry = this.awaitingRetry.delete(key);
    const operation = stripeOperation(method, path);
    const started = performance.now();
    const done = (outcome: StripeAttemptOutcome, status?: number) =>
      this.report({ operation, outcome, status, durationMs: performance.now() - started, retry });
    return this.inner.makeRequest(...args).then(
      (response) => {
        const status = response.getStatusCode();
        done(stripeOutcome(status), status);
        const shouldRetry = response.getHeaders()['stripe-should-retry'];
        if (retryable(status, typeof shouldRetry === 'string' ? shouldRetry : undefined)) this.remember(key);
        return response;
      },
      (error: unknown) => {
        done('connection_error');
        this.remember(key);
        throw error;
      },
    );
  }

  private remember(key: string): void {
    const now = Date.now();
    for (const [old, at] of this.awaitingRetry) {
      if (now - at < FORGET_AFTER_MS) break;
      this.awaitingRetry.delete(old);
    }
    this.awaitingRetry.set(key, now);
  }
}
