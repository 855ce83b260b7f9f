import type { StripeAttempt } from './stripe-attempts';

/** Options of {@link StripeModule}. */
export interface StripeModuleOptions {
  /** `sk_test_...` / `sk_live_...` / `rk_...`; unset outside production means sandbox mode (in-process emulator). */
  secretKey?: string;
  publishableKey?: string;
  /** Configured webhook signing secrets (STRIPE_WEBHOOK_SECRET); sandbox mode adds the one the emulator returns. */
  webhookSecrets?: string[];
  /** Overrides the API host, e.g. an emulator started by a test: `http://127.0.0.1:12111`. */
  apiBaseUrl?: string;
  maxNetworkRetries?: number;
  timeoutMs?: number;
  /** True in production: sandbox mode is then refused. */
  production?: boolean;
  appInfo?: { name: string; version?: string; url?: string };
  /** Path of this service's webhook route; in sandbox mode it is registered with the emulator once the server listens. */
  webhookPath?: string;
  /** Event types to subscribe the sandbox endpoint to; default all (`*`). */
  webhookEvents?: string[];
  /** Sandbox mode only: JSON file where the in-process emulator keeps its state across restarts (none: it starts empty). */
  sandboxStatePath?: string;
  /** Called after every HTTP attempt at Stripe (metrics); must not throw. */
  onAttempt?: (attempt: StripeAttempt) => void;
  /** Receives the sandbox banner and registration problems. */
  logger?: { log(message: string): void; warn(message: string): void; error(message: string): void };
}
