import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { StripeContext } from '@app/stripe';
import type { Logger } from 'pino';
import { writeAfterLogs } from './common/logging/logger';
import type { AppConfig } from './config/configuration';

/**
 * The lines a newcomer needs (URL, Swagger, key), printed to the terminal and not through the logger, as
 * the LAST thing at start-up: after the sandbox's webhook registration (it logs once the server listens),
 * queued behind every log line written so far (see writeAfterLogs), so no start-up line lands below the key.
 */
export async function printStartupBanner(
  app: NestFastifyApplication,
  config: AppConfig,
  extra: { databaseDir?: string; devKeyFile?: string },
): Promise<void> {
  await app.get(StripeContext).webhookEndpointReady;

  const { port } = app.getHttpServer().address() as { port: number };
  const base = `http://${config.app.host === '0.0.0.0' ? '127.0.0.1' : config.app.host}:${port}`;
  const lines = [`Payments service listening on ${base}`, config.app.docsEnabled ? `Swagger UI: ${base}/docs` : 'Swagger UI: off (DOCS_ENABLED=false)'];
  if (extra.databaseDir) lines.push(`Database: embedded PostgreSQL in ${extra.databaseDir}`);
  if (config.app.generatedApiKey)
    lines.push(
      `API key (API_KEYS unset; kept in ${extra.devKeyFile}, delete that file for a new one): Authorization: Bearer ${config.app.generatedApiKey.key}`,
    );
  writeAfterLogs(app.getHttpAdapter().getInstance().log as Logger, `\n${lines.join('\n')}\n\n`);
}
