import type { TestApp } from './app';
import { signedDelivery, WEBHOOK_SECRET } from './stripe-signing';

/** Stripe delivering `event` (signed with the test secret) to the app, in process. */
export const deliver = (app: TestApp, event: unknown) =>
  app.request({ method: 'POST', url: '/v1/webhooks/stripe', apiKey: null, ...signedDelivery(event) });

/** The same over a real socket: concurrent deliveries really overlap in the server. */
export function deliverOverHttp(app: TestApp, event: unknown): Promise<Response> {
  const { payload, headers } = signedDelivery(event);
  return fetch(`${app.url}/v1/webhooks/stripe`, { method: 'POST', body: payload, headers });
}

/**
 * The app against an emulator of the test's own with no webhook endpoint: the only deliveries are the ones the
 * test makes, in its order. Fast worker polls and backoff, no reconciliation job.
 */
export const ownEmulatorEnv = (emulator: { secretKey: string; url: string }, extra: Record<string, string> = {}) => ({
  STRIPE_SECRET_KEY: emulator.secretKey,
  STRIPE_API_BASE_URL: emulator.url,
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  WEBHOOK_WORKER_POLL_MS: '50',
  WEBHOOK_BACKOFF_BASE_MS: '50',
  RECONCILE_INTERVAL_SECONDS: '0',
  LOG_LEVEL: 'warn',
  ...extra,
});
