import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { jsonDepthExceeds, tooDeep } from './input-checks';

/** Fastify route config (Nest: `@RouteConfig({ parseJson: false })`) for routes that take their JSON as raw bytes. */
export interface JsonBodyRouteConfig {
  parseJson?: boolean;
  /** This route's body limit in bytes, above the application's (Stripe's big events); 413 above it. */
  bodyLimit?: number;
}

type Done = (error: Error | null, body?: unknown) => void;

/**
 * application/json as Fastify parses it (prototype-poisoning checks, same errors), with the raw bytes
 * kept on `request.rawBody` (Nest's rawBody option), except that a route with `parseJson: false` gets
 * the bytes only: the webhook receiver verifies a signature over them before anything reads them (an
 * unsigned 5 MB body costs a hash, not a parse), then parses them itself (a signed Stripe event is not
 * held to our nesting bound: the inbox copes with it). Every other body deeper than the bound is refused
 * before it is parsed (see input-checks.ts).
 */
export function useJsonBodyParser(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  // Nest's RouteConfig only reaches Fastify's route config; the route's own limit must be a route option.
  fastify.addHook('onRoute', (route) => {
    const routeLimit = (route.config as JsonBodyRouteConfig | undefined)?.bodyLimit;
    if (routeLimit) route.bodyLimit = routeLimit;
  });
  const parse = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit }, (request: FastifyRequest, body: Buffer, done: Done) => {
    if ((request.routeOptions.config as JsonBodyRouteConfig).parseJson === false) return done(null, undefined);
    if (jsonDepthExceeds(body)) return done(tooDeep());
    parse(request, body as unknown as string, done);
  });
}
