import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { InjectOptions, LightMyRequestResponse as Response } from 'fastify';
import { Writable } from 'node:stream';
import { createApp } from '../../src/app';
import { createLogger } from '../../src/common/logging/logger';
import { AppConfig, loadConfig } from '../../src/config/configuration';
import { createTestDatabase, TestDatabase } from './database';

export const API_KEY = 'test_key_0123456789abcdef';
export const OTHER_API_KEY = 'other_key_0123456789abcdef';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  db: TestDatabase;
  /** http://127.0.0.1:<port> of the listening app (webhooks need a real socket). */
  url: string;
  /** Every log line the app wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  request(options: InjectOptions & { apiKey?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export interface BootOptions {
  env?: Record<string, string | undefined>;
  /** Reuse a database (two instances sharing one); by default each app gets a fresh one. */
  db?: TestDatabase;
}

/** Boots the real application (Fastify, PostgreSQL with migrations, all modules) on a random port. */
export async function bootApp(options: BootOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    API_KEYS: `test:${API_KEY}:read+write+refunds+admin,other:${OTHER_API_KEY}`,
    DATABASE_URL: db.url,
    LOG_LEVEL: 'info',
    // Budgets out of the way of tests that are not about them (test/access-rate-limits.e2e-spec.ts is).
    RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_KEY_PER_SECOND: '1000000',
    ...options.env,
  });
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        // A line that is not JSON is a logging bug: keep it visible to assertions instead of throwing into pino.
        try {
          logs.push(JSON.parse(line));
        } catch {
          logs.push({ level: 'unparsable', raw: line });
        }
      }
      done();
    },
  });
  const logger = createLogger({ level: config.app.logLevel, secrets: config.app.apiKeys.map((k) => k.key), destination: sink });
  const app = await createApp(config, { logger });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    app,
    config,
    db,
    url: `http://127.0.0.1:${port}`,
    logs,
    request: ({ apiKey = API_KEY, headers, ...rest }) =>
      app.inject({ ...rest, headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...headers } }),
    close: async () => {
      await app.close();
      if (!options.db) await db.drop();
    },
  };
}
