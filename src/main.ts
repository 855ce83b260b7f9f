import './instrument';
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { createApp } from './app';
import { ConfigValidationError } from './config/env.validation';
import { loadConfig } from './config/configuration';
import { keepDevApiKey } from './config/dev-api-key';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';
import { stopTracing } from './common/tracing/tracing';

async function main() {
  const config = loadConfig(process.env);
  const devKeyFile = keepDevApiKey(config);
  let embedded: EmbeddedDatabase | undefined;
  if (!config.database.url) {
    // Only outside production: there, a missing DATABASE_URL already failed validation.
    embedded = await startEmbeddedPostgres({ dataDir: config.database.embeddedDir });
    config.database.url = embedded.url;
    // A new database has no rows, so the sandbox's Stripe objects of an older one must go too.
    if (embedded.created && config.stripe.sandboxStatePath) rmSync(config.stripe.sandboxStatePath, { force: true });
  }
  const app = await createApp(config);
  await app.listen(config.app.port, config.app.host);

  const shutdown = async (signal: string) => {
    process.stdout.write(`${signal} received: draining requests and shutting down\n`);
    await app.close();
    await embedded?.stop();
    await stopTracing();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  const base = `http://${config.app.host === '0.0.0.0' ? '127.0.0.1' : config.app.host}:${(app.getHttpServer().address() as { port: number }).port}`;
  const lines = [`Payments service listening on ${base}`, `Swagger UI: ${base}/docs`];
  if (embedded) lines.push(`Database: embedded PostgreSQL in ${embedded.dataDir}`);
  // Printed once, to the terminal and not through the logger, so a newcomer can try the API at once.
  if (config.app.generatedApiKey)
    lines.push(
      `API key (API_KEYS unset; kept in ${devKeyFile}, delete that file for a new one): Authorization: Bearer ${config.app.generatedApiKey.key}`,
    );
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigValidationError ? error.message : `Boot failed: ${(error as Error)?.stack ?? String(error)}`}\n`,
  );
  process.exit(1);
});
