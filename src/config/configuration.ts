import { randomBytes } from 'node:crypto';
import { DEFAULT_SCOPES, Scope, SCOPES } from '../common/auth/scopes';
import { parseDurationList } from '../common/duration';
import type { TracingSettings } from '../common/tracing/tracing';
import { EnvironmentVariables, validateEnvironment } from './env.validation';

export interface ApiKey {
  name: string;
  key: string;
  scopes: readonly Scope[];
}

export interface AppConfig {
  app: {
    env: 'development' | 'production' | 'test';
    port: number;
    host: string;
    logLevel: string;
    apiKeys: ApiKey[];
    /** Swagger UI at /docs and the OpenAPI document at /docs-json (DOCS_ENABLED; off in production by default). */
    docsEnabled: boolean;
    /** Set when API_KEYS was unset outside production: printed once at boot so a newcomer can try the API. */
    generatedApiKey?: ApiKey;
  };
  http: {
    /** Whole request receipt (headers and body); 408 and closed after it. */
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    keepAliveTimeoutMs: number;
    /** SIGTERM to exit, whatever is still running then (main.ts). */
    shutdownTimeoutMs: number;
    /** Fastify's trustProxy: which proxies' X-Forwarded-For gives the client IP (rate limits are per client IP). */
    trustProxy: boolean | string;
    perKeyPerSecond: number;
    failedAuthPerMinute: number;
  };
  database: {
    url?: string;
    /** Where the embedded PostgreSQL keeps its data when DATABASE_URL is unset (never in production). */
    embeddedDir: string;
    poolSize: number;
    migrationsRun: boolean;
  };
  stripe: {
    secretKey?: string;
    publishableKey?: string;
    webhookSecrets: string[];
    apiBaseUrl?: string;
    maxNetworkRetries: number;
    timeoutMs: number;
    /** Sandbox on the embedded database: where the in-process emulator keeps its state (see README "The sandbox remembers"). */
    sandboxStatePath?: string;
  };
  webhooks: {
    toleranceSeconds: number;
    workerEnabled: boolean;
    /** Payment-intent events are applied in the transaction that stores them (only where the worker runs). */
    applyOnReceipt: boolean;
    pollMs: number;
    leaseSeconds: number;
    maxAttempts: number;
    backoffBaseMs: number;
    notYetDeadlineSeconds: number;
    /** Age (s, by the Stripe object's `created`) after which an object carrying our id but no row is adopted. */
    adoptAfterSeconds: number;
    /** Events claimed and applied together in one transaction. */
    batchSize: number;
    /** Claim-and-apply loops per instance (each claims its own rows with SKIP LOCKED). */
    concurrency: number;
    /** Processed and ignored inbox rows older than this are deleted (expired idempotency records too). */
    retentionDays: number;
  };
  checkout: {
    /** Serves /checkout and its demo routes (default: on in the sandbox, off with real Stripe keys). */
    pageEnabled: boolean;
  };
  reconciliation: {
    /** 0 turns the periodic job off (POST /v1/admin/reconcile still works). */
    intervalSeconds: number;
    stuckAfterSeconds: number;
    initialLookbackSeconds: number;
  };
  events: {
    retentionDays: number;
    /** Stream every event to JetStream when set. */
    natsUrl?: string[];
  };
  notifications: {
    timeoutMs: number;
    /** Requests in flight per endpoint and instance. */
    maxInFlight: number;
    /** Delay before each retry; its length bounds the attempts (1 + length), then the delivery is dead-lettered. */
    retryScheduleMs: number[];
    disableAfterHours: number;
    /** Host patterns (`orders.internal`, `*.svc.cluster.local`); empty = any host except the refused ranges. */
    allowedHosts: string[];
  };
  metrics: {
    /** GET /metrics, the HTTP duration hook and the process collectors. */
    enabled: boolean;
  };
}

function parseApiKeys(env: EnvironmentVariables): Pick<AppConfig['app'], 'apiKeys' | 'generatedApiKey'> {
  if (!env.API_KEYS) {
    // The newcomer's key may do everything, operator routes included.
    const generated = { name: 'dev', key: `dev_${randomBytes(24).toString('base64url')}`, scopes: SCOPES };
    return { apiKeys: [generated], generatedApiKey: generated };
  }
  return {
    // name:key or name:key:scope+scope (validated in env.validation.ts).
    apiKeys: env.API_KEYS.split(',').map((entry) => {
      const [name, key, scopes] = entry.split(':');
      return { name, key, scopes: scopes ? (scopes.split('+') as Scope[]) : DEFAULT_SCOPES };
    }),
  };
}

function parseTrustProxy(value?: string): boolean | string {
  return !value || value === 'false' ? false : value === 'true' ? true : value;
}

const list = (value?: string) =>
  value
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

/** Builds the typed configuration from a raw environment; the only place (with the CLI data source) that reads it. */
export function loadConfig(raw: Record<string, string | undefined> = process.env): AppConfig {
  const env = validateEnvironment(raw);
  const embeddedDir = env.EMBEDDED_DATABASE_DIR ?? `.data/postgres-${env.PORT}`;
  return {
    app: {
      env: env.NODE_ENV,
      port: env.PORT,
      host: env.HOST,
      logLevel: env.LOG_LEVEL,
      docsEnabled: env.DOCS_ENABLED ?? env.NODE_ENV !== 'production',
      ...parseApiKeys(env),
    },
    http: {
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      // Node refuses a headers timeout above the request timeout.
      headersTimeoutMs: Math.min(env.HTTP_HEADERS_TIMEOUT_SECONDS, env.HTTP_REQUEST_TIMEOUT_SECONDS) * 1000,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_SECONDS * 1000,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      perKeyPerSecond: env.RATE_LIMIT_PER_KEY_PER_SECOND,
      failedAuthPerMinute: env.RATE_LIMIT_FAILED_AUTH_PER_MINUTE,
    },
    database: {
      url: env.DATABASE_URL,
      embeddedDir,
      poolSize: env.DATABASE_POOL_SIZE,
      migrationsRun: env.MIGRATIONS_RUN,
    },
    stripe: {
      secretKey: env.STRIPE_SECRET_KEY,
      publishableKey: env.STRIPE_PUBLISHABLE_KEY,
      webhookSecrets: list(env.STRIPE_WEBHOOK_SECRET),
      apiBaseUrl: env.STRIPE_API_BASE_URL,
      maxNetworkRetries: env.STRIPE_MAX_NETWORK_RETRIES,
      timeoutMs: env.STRIPE_TIMEOUT_MS,
      // Beside the embedded database, so the two are kept, and deleted, together. With DATABASE_URL the
      // rows outlive any one process, so an emulator forgetting them would be wrong; no sandbox state then.
      sandboxStatePath: env.DATABASE_URL ? undefined : `${embeddedDir}.stripe-sandbox.json`,
    },
    webhooks: {
      toleranceSeconds: env.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
      workerEnabled: env.WEBHOOK_WORKER_ENABLED,
      applyOnReceipt: env.WEBHOOK_APPLY_ON_RECEIPT,
      pollMs: env.WEBHOOK_WORKER_POLL_MS,
      leaseSeconds: env.WEBHOOK_LEASE_SECONDS,
      maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      backoffBaseMs: env.WEBHOOK_BACKOFF_BASE_MS,
      notYetDeadlineSeconds: env.WEBHOOK_NOT_YET_DEADLINE_SECONDS,
      adoptAfterSeconds: env.WEBHOOK_ADOPT_AFTER_SECONDS,
      batchSize: env.WEBHOOK_WORKER_BATCH,
      concurrency: env.WEBHOOK_WORKER_CONCURRENCY,
      retentionDays: env.WEBHOOK_RETENTION_DAYS,
    },
    checkout: { pageEnabled: env.CHECKOUT_PAGE_ENABLED ?? !env.STRIPE_SECRET_KEY },
    reconciliation: {
      intervalSeconds: env.RECONCILE_INTERVAL_SECONDS,
      stuckAfterSeconds: env.RECONCILE_STUCK_AFTER_SECONDS,
      initialLookbackSeconds: env.RECONCILE_INITIAL_LOOKBACK_SECONDS,
    },
    events: { retentionDays: env.EVENT_RETENTION_DAYS, natsUrl: env.NATS_URL ? list(env.NATS_URL) : undefined },
    notifications: {
      timeoutMs: env.NOTIFICATION_TIMEOUT_SECONDS * 1000,
      maxInFlight: env.NOTIFICATION_MAX_IN_FLIGHT,
      retryScheduleMs: parseDurationList(env.NOTIFICATION_RETRY_SCHEDULE),
      disableAfterHours: env.NOTIFICATION_DISABLE_AFTER_HOURS,
      allowedHosts: list(env.NOTIFICATION_ALLOWED_HOSTS).map((h) => h.toLowerCase()),
    },
    metrics: { enabled: env.METRICS_ENABLED },
  };
}

/**
 * Read before everything else (src/instrument.ts), so without the full validation: a bad endpoint URL is
 * reported by loadConfig a moment later. The OTel SDK reads the other OTEL_* variables itself.
 */
export function tracingSettings(raw: Record<string, string | undefined> = process.env): TracingSettings {
  return {
    enabled: Boolean(raw.OTEL_EXPORTER_OTLP_ENDPOINT || raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && raw.OTEL_SDK_DISABLED !== 'true',
    serviceName: raw.OTEL_SERVICE_NAME || 'payments-service',
  };
}
