import './instrument';
import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { createApp } from './app';
import { ConfigValidationError } from './config/env.validation';
import { loadConfig } from './config/configuration';
import { keepDevApiKey } from './config/dev-api-key';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';
import { stopTracing } from './common/tracing/tracing';
import { printStartupBanner } from './startup-banner';

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

  // app.close() runs the whole sequence (README "Shutdown"): new requests 503 at once (readiness included),
  // workers stop claiming and hand back what they had not started, the server stops listening, in-flight
  // requests finish, the inbox writer flushes, the pool closes. The deadline bounds it whatever hangs.
  const shutdown = async (signal: string) => {
    const started = Date.now();
    process.stdout.write(`${signal} received: draining requests and shutting down (at most ${config.http.shutdownTimeoutMs / 1000} s)\n`);
    const deadline = setTimeout(() => {
      process.stderr.write(`Shutdown did not finish within ${config.http.shutdownTimeoutMs / 1000} s: exiting with work still running\n`);
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    deadline.unref();
    try {
      await app.close();
    } catch (error) {
      process.stderr.write(`Shutdown failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    }
    await embedded?.stop();
    await stopTracing();
    process.stdout.write(`Shut down in ${Date.now() - started} ms\n`);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await printStartupBanner(app, config, { databaseDir: embedded?.dataDir, devKeyFile });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigValidationError ? error.message : `Boot failed: ${(error as Error)?.stack ?? String(error)}`}\n`,
  );
  process.exit(1);
});
