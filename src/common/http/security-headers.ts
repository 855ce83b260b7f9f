import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/**
 * helmet's headers on every answer (nosniff, frame and referrer policies, no X-Powered-By, ...), returned too
 * for the answers given before any hook runs (frameworkErrorsWith), with a Content-Security-Policy that the two pages we serve work under:
 * - Swagger UI (/docs): its own scripts and styles from 'self', plus the inline styles it sets and data: images;
 * - the checkout page (/checkout): in the sandbox the browser talks to the Stripe emulator's URL itself
 *   (`stripeApiUrl`, so connect-src allows its origin); with real keys it loads Stripe.js from js.stripe.com,
 *   which talks to api.stripe.com and mounts its iframes from js.stripe.com / hooks.stripe.com (Stripe's
 *   documented CSP). upgrade-insecure-requests is off: an instance reached over plain HTTP inside a network
 *   would otherwise have its own pages' requests rewritten to https.
 */
export function registerSecurityHeaders(app: NestFastifyApplication, stripeApiUrl: string | undefined): Record<string, string> {
  const stripeApiOrigin = stripeApiUrl ? [new URL(stripeApiUrl).origin] : [];
  // helmet itself, built once: @fastify/helmet called helmet(options) on every request, re-parsing these
  // directives each time (about 4% of the webhook route's CPU in a profile of bench:webhooks:e2e).
  const setHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", 'https://js.stripe.com', 'https://*.js.stripe.com'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'https://*.stripe.com'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'https://api.stripe.com', ...stripeApiOrigin],
        frameSrc: ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
  const headers = headersOf(setHeaders);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      void reply.headers(headers);
      done();
    });
  return headers;
}

/**
 * The headers a helmet middleware sets, captured once: they depend on its options only (no CSP nonces here),
 * and running its twelve middlewares per request, each validating its header on the raw response, still cost
 * ~4% of the webhook route's CPU in a profile of bench:webhooks:e2e.
 */
function headersOf(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}

/** Answers of the API are never cached anywhere (some carry a PaymentIntent's clientSecret). */
export function registerNoStore(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.url.startsWith('/v1/') || request.url === '/v1') void reply.header('cache-control', 'no-store');
    done();
  });
}
