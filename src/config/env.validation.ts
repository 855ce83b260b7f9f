import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  validateSync,
  ValidationArguments,
  ValidationError,
} from 'class-validator';
import { isScope, SCOPES } from '../common/auth/scopes';
import { DURATION_LIST } from '../common/duration';

const toBool = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? ['true', '1', 'yes'].includes(value.toLowerCase())
      ? true
      : ['false', '0', 'no'].includes(value.toLowerCase())
        ? false
        : value
    : value;
const blankToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);
const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? value : Number(value));

/** An integer variable within [min, max], and one message that says so whichever check fails. */
function IntegerBetween(min: number, max: number): PropertyDecorator {
  const message = ({ property }: ValidationArguments) => `${property} must be an integer between ${min} and ${max}`;
  const decorators = [Transform(toInt), IsInt({ message }), Min(min, { message }), Max(max, { message })];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key as string));
}

/**
 * The environment contract. Every variable is documented in .env.example; a bad value stops the boot
 * with one message naming every bad variable.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IntegerBetween(0, 65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  // HTTP bounds and budgets (issue #11): see .env.example.
  @IntegerBetween(1, 3600)
  HTTP_REQUEST_TIMEOUT_SECONDS = 30;

  @IntegerBetween(1, 3600)
  HTTP_HEADERS_TIMEOUT_SECONDS = 10;

  @IntegerBetween(1, 3600)
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS = 72;

  @IntegerBetween(1, 3600)
  SHUTDOWN_TIMEOUT_SECONDS = 20;

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^(true|false|[0-9A-Fa-f.:/]+(,[0-9A-Fa-f.:/]+)*)$/, {
    message: 'TRUST_PROXY must be true, false, or comma-separated proxy addresses/CIDRs',
  })
  TRUST_PROXY?: string;

  @IntegerBetween(1, 1000000)
  RATE_LIMIT_PER_KEY_PER_SECOND = 100;

  @IntegerBetween(1, 1000000)
  RATE_LIMIT_FAILED_AUTH_PER_MINUTE = 20;

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// connection URL' })
  DATABASE_URL?: string;

  @IntegerBetween(1, 200)
  DATABASE_POOL_SIZE = 10;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsString()
  EMBEDDED_DATABASE_DIR?: string;

  @Transform(toBool)
  @IsBoolean({ message: 'MIGRATIONS_RUN must be true or false' })
  MIGRATIONS_RUN = true;

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]+:[^,:\s]{16,}(:[a-z]+(\+[a-z]+)*)?(,[A-Za-z0-9_.-]+:[^,:\s]{16,}(:[a-z]+(\+[a-z]+)*)?)*$/, {
    message: 'API_KEYS must be comma-separated name:key or name:key:scope+scope entries, each key at least 16 characters',
  })
  API_KEYS?: string;

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, { message: 'STRIPE_SECRET_KEY must look like sk_test_... or sk_live_...' })
  STRIPE_SECRET_KEY?: string;

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^pk_(test|live)_[A-Za-z0-9_]+$/, { message: 'STRIPE_PUBLISHABLE_KEY must look like pk_test_... or pk_live_...' })
  STRIPE_PUBLISHABLE_KEY?: string;

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^whsec_[A-Za-z0-9_]+(,whsec_[A-Za-z0-9_]+)*$/, {
    message: 'STRIPE_WEBHOOK_SECRET must be one or more comma-separated whsec_... secrets',
  })
  STRIPE_WEBHOOK_SECRET?: string;

  @Transform(blankToUndefined)
  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    { message: 'STRIPE_API_BASE_URL must be an http(s) URL' },
  )
  STRIPE_API_BASE_URL?: string;

  @IntegerBetween(0, 10)
  STRIPE_MAX_NETWORK_RETRIES = 2;

  @IntegerBetween(1000, 120000)
  STRIPE_TIMEOUT_MS = 20000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  // Webhooks (issue #5): see .env.example for what each one does.
  @IntegerBetween(1, 3600)
  STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300;

  @Transform((params) => toBool({ value: blankToUndefined(params) }))
  @IsOptional()
  @IsBoolean({ message: 'CHECKOUT_PAGE_ENABLED must be true or false' })
  CHECKOUT_PAGE_ENABLED?: boolean;

  @Transform((params) => toBool({ value: blankToUndefined(params) }))
  @IsOptional()
  @IsBoolean({ message: 'DOCS_ENABLED must be true or false' })
  DOCS_ENABLED?: boolean;

  @Transform(toBool)
  @IsBoolean({ message: 'WEBHOOK_WORKER_ENABLED must be true or false' })
  WEBHOOK_WORKER_ENABLED = true;

  @Transform(toBool)
  @IsBoolean({ message: 'WEBHOOK_APPLY_ON_RECEIPT must be true or false' })
  WEBHOOK_APPLY_ON_RECEIPT = true;

  @IntegerBetween(10, 600000)
  WEBHOOK_WORKER_POLL_MS = 1000;

  @IntegerBetween(1, 3600)
  WEBHOOK_LEASE_SECONDS = 60;

  @IntegerBetween(1, 100)
  WEBHOOK_MAX_ATTEMPTS = 10;

  @IntegerBetween(1, 3600000)
  WEBHOOK_BACKOFF_BASE_MS = 1000;

  @IntegerBetween(1, 604800)
  WEBHOOK_NOT_YET_DEADLINE_SECONDS = 600;

  @IntegerBetween(0, 604800)
  WEBHOOK_ADOPT_AFTER_SECONDS = 30;

  @IntegerBetween(1, 500)
  WEBHOOK_WORKER_BATCH = 50;

  @IntegerBetween(1, 16)
  WEBHOOK_WORKER_CONCURRENCY = 2;

  @IntegerBetween(1, 3650)
  WEBHOOK_RETENTION_DAYS = 30;

  @IntegerBetween(0, 86400)
  RECONCILE_INTERVAL_SECONDS = 300;

  @IntegerBetween(0, 2592000)
  RECONCILE_STUCK_AFTER_SECONDS = 900;

  @IntegerBetween(60, 2592000)
  RECONCILE_INITIAL_LOOKBACK_SECONDS = 2592000;

  // Our own events (issue #12): feed retention, signed webhooks to internal endpoints, NATS JetStream.
  @IntegerBetween(1, 3650)
  EVENT_RETENTION_DAYS = 30;

  @IntegerBetween(1, 120)
  NOTIFICATION_TIMEOUT_SECONDS = 10;

  @IntegerBetween(1, 1000)
  NOTIFICATION_MAX_IN_FLIGHT = 128;

  @Matches(DURATION_LIST, {
    message: 'NOTIFICATION_RETRY_SCHEDULE must be comma-separated durations such as 5s,5m,30m,2h (units ms, s, m, h, d)',
  })
  NOTIFICATION_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

  @IntegerBetween(1, 8760)
  NOTIFICATION_DISABLE_AFTER_HOURS = 72;

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^(\*\.)?[A-Za-z0-9.:[\]-]+(,\s*(\*\.)?[A-Za-z0-9.:[\]-]+)*$/, {
    message: 'NOTIFICATION_ALLOWED_HOSTS must be comma-separated host names, IP addresses or *.domain patterns',
  })
  NOTIFICATION_ALLOWED_HOSTS?: string;

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, { message: 'NATS_URL must be one or more comma-separated nats:// URLs' })
  NATS_URL?: string;

  // Observability (issue #15).
  @Transform(toBool)
  @IsBoolean({ message: 'METRICS_ENABLED must be true or false' })
  METRICS_ENABLED = true;

  @Transform(blankToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s):// URL of an OTLP/HTTP collector' })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => `${e.property}: ${[...new Set(Object.values(e.constraints ?? {}))].join('; ')}`);
}

// Real money must never meet the emulator or a redirected API host, and keys of different modes never mix.
function stripeKeyProblems(env: EnvironmentVariables): string[] {
  const live = env.STRIPE_SECRET_KEY?.includes('_live_');
  const problems: string[] = [];
  if (live && env.STRIPE_API_BASE_URL) problems.push('STRIPE_API_BASE_URL: must not be set with a live STRIPE_SECRET_KEY');
  if (!env.STRIPE_SECRET_KEY && env.STRIPE_PUBLISHABLE_KEY?.startsWith('pk_live_')) {
    problems.push('STRIPE_PUBLISHABLE_KEY: a live key cannot be used in sandbox mode (STRIPE_SECRET_KEY unset)');
  }
  if (env.STRIPE_SECRET_KEY && env.STRIPE_PUBLISHABLE_KEY && live !== env.STRIPE_PUBLISHABLE_KEY.startsWith('pk_live_')) {
    problems.push('STRIPE_PUBLISHABLE_KEY: must be of the same mode (test/live) as STRIPE_SECRET_KEY');
  }
  return problems;
}

function apiKeyProblems(env: EnvironmentVariables): string[] {
  const problems: string[] = [];
  for (const [name, , scopes] of (env.API_KEYS ?? '').split(',').map((entry) => entry.split(':'))) {
    for (const scope of scopes?.split('+') ?? []) {
      if (!isScope(scope)) problems.push(`API_KEYS: unknown scope "${scope}" for key "${name}" (known: ${SCOPES.join(', ')})`);
    }
  }
  return problems;
}

/** Validates the raw environment and throws one error listing every bad variable. */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const env = plainToInstance(EnvironmentVariables, raw, { exposeDefaultValues: true });
  const problems = describe(validateSync(env, { skipMissingProperties: false, whitelist: false }));
  if (env.NODE_ENV === 'production') {
    if (!env.DATABASE_URL) problems.push('DATABASE_URL: required when NODE_ENV=production');
    if (!env.API_KEYS) problems.push('API_KEYS: required when NODE_ENV=production');
    if (!env.STRIPE_SECRET_KEY)
      problems.push('STRIPE_SECRET_KEY: required when NODE_ENV=production (sandbox mode is for development only)');
    if (!env.STRIPE_WEBHOOK_SECRET)
      problems.push('STRIPE_WEBHOOK_SECRET: required when NODE_ENV=production (every delivery would be refused)');
  }
  problems.push(...stripeKeyProblems(env), ...apiKeyProblems(env));
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return env;
}
