import { ConfigValidationError } from './env.validation';
import { loadConfig } from './configuration';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config.app).toMatchObject({ env: 'development', port: 3000, host: '0.0.0.0', logLevel: 'info' });
    expect(config.database).toMatchObject({ poolSize: 10, migrationsRun: true, embeddedDir: '.data/postgres-3000' });
  });

  it('names every bad variable in one error', () => {
    const problems = problemsOf({
      PORT: 'abc',
      DATABASE_POOL_SIZE: '0',
      MIGRATIONS_RUN: 'maybe',
      LOG_LEVEL: 'loud',
      STRIPE_WEBHOOK_SECRET: 'nope',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'DATABASE_POOL_SIZE',
      'LOG_LEVEL',
      'MIGRATIONS_RUN',
      'PORT',
      'STRIPE_WEBHOOK_SECRET',
    ]);
  });

  it('requires DATABASE_URL and API_KEYS in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual(
      expect.arrayContaining(['DATABASE_URL: required when NODE_ENV=production', 'API_KEYS: required when NODE_ENV=production']),
    );
  });

  it('parses API_KEYS entries with their scopes and generates an all-scopes key outside production when unset', () => {
    expect(loadConfig({ API_KEYS: 'orders:aaaaaaaaaaaaaaaaaaaa,ops:bbbbbbbbbbbbbbbbbbbb:read+admin' }).app.apiKeys).toEqual([
      { name: 'orders', key: 'aaaaaaaaaaaaaaaaaaaa', scopes: ['read', 'write', 'refunds'] },
      { name: 'ops', key: 'bbbbbbbbbbbbbbbbbbbb', scopes: ['read', 'admin'] },
    ]);
    const generated = loadConfig({}).app;
    expect(generated.generatedApiKey?.key).toMatch(/^dev_[A-Za-z0-9_-]{32}$/);
    expect(generated.generatedApiKey?.scopes).toEqual(['read', 'write', 'refunds', 'admin']);
    expect(generated.apiKeys).toEqual([generated.generatedApiKey]);
    expect(problemsOf({ API_KEYS: 'orders:short' })[0]).toMatch(/^API_KEYS: /);
  });

  it('refuses an unknown scope, naming it and its key', () => {
    expect(problemsOf({ API_KEYS: 'orders:aaaaaaaaaaaaaaaaaaaa:read+refund' })).toEqual([
      'API_KEYS: unknown scope "refund" for key "orders" (known: read, write, refunds, admin)',
    ]);
  });

  it('splits a rotation list of webhook secrets', () => {
    expect(loadConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_old,whsec_new' }).stripe.webhookSecrets).toEqual(['whsec_old', 'whsec_new']);
  });
});
