import type { StripeAttempt } from '@app/stripe';
import { counter, DURATION_BUCKETS, histogram } from '../common/metrics/metrics';

const attemptDuration = histogram({
  name: 'stripe_api_request_duration_seconds',
  help: 'HTTP attempts at the Stripe API (each retry is one more), by operation (method and path template) and outcome',
  labelNames: ['operation', 'outcome'],
  buckets: DURATION_BUCKETS,
});

const retries = counter({
  name: 'stripe_api_retries_total',
  help: "Attempts that were the Stripe SDK's automatic retry of a failed one (connection error, 409, 5xx), by operation",
  labelNames: ['operation'],
});

export function recordStripeAttempt(attempt: StripeAttempt): void {
  attemptDuration.observe({ operation: attempt.operation, outcome: attempt.outcome }, attempt.durationMs / 1000);
  if (attempt.retry) retries.inc({ operation: attempt.operation });
}
