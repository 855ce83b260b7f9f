import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { LogController } from 'fastify';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger as Pino } from 'pino';
import { StripeContext } from '@app/stripe';
import { AppModule } from './app.module';
import rateLimit from '@fastify/rate-limit';
import { ApiKeyAuth, registerApiKeyAuth } from './common/auth/api-key-auth';
import { RateLimits } from './common/auth/rate-limits';
import { SnapshotLocalStore } from './common/auth/snapshot-store';
import { clientErrorHandler, frameworkErrorsWith } from './common/http/framework-errors';
import { registerInputChecks } from './common/http/input-checks';
import { registerNoStore, registerSecurityHeaders } from './common/http/security-headers';
import { ClosingAwareFastifyAdapter, refuseWhileClosing } from './common/lifecycle/closing-adapter';
import { useJsonBodyParser } from './common/http/json-body';
import { sandboxSafeExamples } from './common/http/openapi-examples';
import { createLogger, PinoNestLogger } from './common/logging/logger';
import { registerRequestContext } from './common/logging/request-context';
import { registerHttpMetrics } from './common/metrics/http-metrics';
import { registerFastifyTracing } from './common/tracing/tracing';
import type { AppConfig } from './config/configuration';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// Every /v1 body; the Stripe webhook route declares its own, larger limit (big invoices).
const BODY_LIMIT = 1024 * 1024;

export interface CreateAppOptions {
  logger?: Pino;
}

/** Builds the whole application, exactly as `main.ts` runs it; tests use this too. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger =
    options.logger ??
    createLogger({ level: config.app.logLevel, secrets: config.app.apiKeys.map((k) => k.key).concat(config.stripe.webhookSecrets) });
  // Filled by registerSecurityHeaders once the app is built (the CSP names the emulator's URL).
  const securityHeaders: Record<string, string> = {};
  const adapter = new ClosingAwareFastifyAdapter({
    loggerInstance: logger,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: BODY_LIMIT,
    trustProxy: config.http.trustProxy,
    // A slow client (headers or body dribbled in) gets 408 and a closed socket, never a held connection.
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    // Node checks those timeouts only every connectionsCheckingInterval (30 s by default): check each second.
    http: { headersTimeout: config.http.headersTimeoutMs, connectionsCheckingInterval: 1000 },
    // Closing is answered by refuseWhileClosing (problem+json, from the first moment of app.close()).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Errors raised before any hook runs (router, HTTP parser) are problem+json too, with the security headers.
    frameworkErrors: frameworkErrorsWith(securityHeaders),
    clientErrorHandler,
  });
  const fastify = adapter.getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  refuseWhileClosing(fastify, adapter);
  registerNoStore(fastify);
  registerRequestContext(fastify);
  registerInputChecks(fastify);
  if (config.metrics.enabled) registerHttpMetrics(fastify);
  await registerFastifyTracing(fastify);

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    rawBody: true,
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  // Counting only (createRateLimit): which requests count is decided by the API-key hook and the webhook guard.
  await app.register(rateLimit, { global: false, store: SnapshotLocalStore });
  Object.assign(securityHeaders, registerSecurityHeaders(app, app.get(StripeContext).emulatorUrl));
  registerApiKeyAuth(fastify, app.get(ApiKeyAuth), app.get(RateLimits));
  useJsonBodyParser(app, BODY_LIMIT);
  if (config.app.docsEnabled) setupSwagger(app);
  if (config.checkout.pageEnabled) serveCheckoutPage(app);
  await app.init();
  return app;
}

/** The checkout page's static files (CHECKOUT_PAGE_ENABLED); its demo routes live in src/checkout. */
function serveCheckoutPage(app: NestFastifyApplication) {
  app.useStaticAssets({
    root: join(__dirname, 'checkout', 'public'),
    prefix: '/checkout/',
    // Swagger's UI registers @fastify/static too: only one registration may decorate the reply.
    decorateReply: false,
    index: ['index.html'],
  });
}

function setupSwagger(app: NestFastifyApplication) {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Payments service')
      .setVersion(process.env.npm_package_version ?? '0.1.0')
      .setDescription(
        'Internal payments API over Stripe: customers, payments (PaymentIntents, 3-D Secure), refunds, subscriptions and webhooks. ' +
          'Authenticate with `Authorization: Bearer <API key>` (in Swagger UI: **Authorize**, paste the key alone). ' +
          'Every POST accepts an `Idempotency-Key` header: send a new unique value per operation, the same one when retrying it. ' +
          'Errors are RFC 9457 problem+json. ' +
          'Request bodies: null is never a value (leave a field out instead; no field of this API gives null a meaning), text must not hold NUL ' +
          'characters or unpaired UTF-16 surrogates, and JSON nests at most 32 levels (deeper: 400 too_deep).',
      )
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'Paste the API key alone (from API_KEYS, or the one `npm start` printed); Swagger UI adds "Bearer ".',
      })
      .build(),
  );
  sandboxSafeExamples(document);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true, showExtensions: true },
  });
}
