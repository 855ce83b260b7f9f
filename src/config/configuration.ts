import { randomBytes } from 'node:crypto';
import { EnvironmentVariables, validateEnvironment } from './env.validation';

export interface ApiKey {
  name: string;
  key: string;
}

export interface AppConfig {
  app: {
    env: 'development' | 'production' | 'test';
    port: number;
    host: string;
    logLevel: string;
    apiKeys: ApiKey[];
    /** Set when API_KEYS was unset outside production: printed once at boot so a newcomer can try the API. */
    generatedApiKey?: ApiKey;
  };
  database: {
    url?: string;
    poolSize: number;
    migrationsRun: boolean;
  };
  stripe: {
    secretKey?: string;
    publishableKey?: string;
    webhookSecrets: string[];
    apiBaseUrl?: string;
  };
}

function parseApiKeys(env: EnvironmentVariables): Pick<AppConfig['app'], 'apiKeys' | 'generatedApiKey'> {
  if (!env.API_KEYS) {
    const generated = { name: 'dev', key: `dev_${randomBytes(24).toString('base64url')}` };
    return { apiKeys: [generated], generatedApiKey: generated };
  }
  return {
    apiKeys: env.API_KEYS.split(',').map((pair) => {
      const [name, key] = pair.split(':');
      return { name, key };
    }),
  };
}

const list = (value?: string) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : []);

/** Builds the typed configuration from a raw environment; the only place (with the CLI data source) that reads it. */
export function loadConfig(raw: Record<string, string | undefined> = process.env): AppConfig {
  const env = validateEnvironment(raw);
  return {
    app: { env: env.NODE_ENV, port: env.PORT, host: env.HOST, logLevel: env.LOG_LEVEL, ...parseApiKeys(env) },
    database: { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, migrationsRun: env.MIGRATIONS_RUN },
    stripe: {
      secretKey: env.STRIPE_SECRET_KEY,
      publishableKey: env.STRIPE_PUBLISHABLE_KEY,
      webhookSecrets: list(env.STRIPE_WEBHOOK_SECRET),
      apiBaseUrl: env.STRIPE_API_BASE_URL,
    },
  };
}
