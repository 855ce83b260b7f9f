import { AddressInfo } from 'node:net';
import { Emulator, Logger } from './core/emulator';
import { createEmulatorServer } from './app';
import { DEMO_CATALOG, seedDemoCatalog } from './resources/products-prices';

export { DEMO_CATALOG } from './resources/products-prices';
export { EMULATOR_NAME } from './emulator-routes';

export type { Logger as StripeEmulatorLogger } from './core/emulator';

/** Options of {@link startStripeEmulator}. Every field is optional. */
export interface StripeEmulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Delay before Stripe's asynchronous transitions (pending refunds settling); default 1000 ms. */
  asyncDelayMs?: number;
  /** Wait before each webhook retry; its length bounds the attempts. Default [5000, 30000, 120000, 600000]. */
  webhookRetryDelaysMs?: number[];
  /** Per-attempt timeout of a webhook delivery; default 10000 ms. */
  webhookTimeoutMs?: number;
  /** JSON file to load state from at start and save to (debounced) after changes and at close. */
  persistPath?: string;
  /** Clock in milliseconds (created timestamps, idempotency expiry); default Date.now. */
  now?: () => number;
  /** Receives start-up and internal-error messages; silent by default. Never given secrets. */
  logger?: Logger;
}

/** A running emulator. */
export interface StripeEmulator {
  /** Base URL, e.g. `http://127.0.0.1:12111`. */
  url: string;
  port: number;
  host: string;
  /** A key the emulator accepts (any `sk_test_...` does). */
  secretKey: string;
  /** A publishable key for browser calls (any `pk_test_...` does): raw card data, client-secret confirms. */
  publishableKey: string;
  /**
   * The webhook endpoint registered earlier with this `description` (kept in the state file), pointed at
   * `url`, with its signing secret; undefined if there is none. A host that restarts on a persisted state
   * keeps its endpoint and secret this way instead of registering a second endpoint.
   */
  reuseWebhookEndpoint(description: string, url: string): { id: string; secret: string } | undefined;
  /**
   * Creates the demo product `prod_sandbox_demo` with a monthly and a yearly price ({@link DEMO_CATALOG}, fixed
   * ids) where missing, and returns the catalog. Idempotent: a state restored from `persistPath` keeps them.
   */
  seedDemoCatalog(): typeof DEMO_CATALOG;
  /** Stops the server, timers and webhook deliveries; writes the state file if persisting. */
  close(): Promise<void>;
}

const silent: Logger = { info: () => undefined, warn: () => undefined };

/**
 * Starts a stateful Stripe API (v1) emulator over HTTP. Point the official SDK at it with
 * `new Stripe(secretKey, { host: '127.0.0.1', port, protocol: 'http' })`.
 * Test-only controls live under `/_emulator/` (see the README).
 */
export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const host = options.host ?? '127.0.0.1';
  const em = new Emulator({
    asyncDelayMs: options.asyncDelayMs ?? 1000,
    webhookRetryDelaysMs: options.webhookRetryDelaysMs ?? [5000, 30000, 120000, 600000],
    webhookTimeoutMs: options.webhookTimeoutMs ?? 10000,
    persistPath: options.persistPath,
    now: options.now ?? Date.now,
    logger: options.logger ?? silent,
  });
  const server = createEmulatorServer(em);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  em.baseUrl = url;
  return {
    url,
    port,
    host,
    secretKey: 'sk_test_emulator',
    publishableKey: 'pk_test_emulator',
    reuseWebhookEndpoint: (description, targetUrl) => {
      const endpoint = em.store.list('webhook_endpoint', (e) => e.description === description)[0];
      const secret: string | undefined = endpoint && em.store.meta(endpoint.id).secret;
      if (!endpoint || !secret) return undefined;
      endpoint.url = targetUrl;
      em.changed();
      return { id: endpoint.id, secret };
    },
    seedDemoCatalog: () => {
      seedDemoCatalog(em);
      em.changed();
      return DEMO_CATALOG;
    },
    close: async () => {
      em.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
