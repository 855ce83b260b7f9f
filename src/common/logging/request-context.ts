import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface RequestContext {
  requestId: string;
}

/** Carries the request id to every log line written while a request is handled. */
export const requestContext = new AsyncLocalStorage<RequestContext>();

/** Fastify route config (Nest: `@RouteConfig({ requestContext: false })`) for routes that log nothing of their own. */
export interface RequestContextRouteConfig {
  requestContext?: boolean;
}

const STORE = Symbol('requestContext');
type Tracked = FastifyRequest & { [STORE]?: RequestContext };

/**
 * Enters the request's context in Fastify's own hooks, so everything of the request runs inside it:
 * guards, pipes, the handler, interceptors and the error filter (a Nest interceptor would leave the
 * filter outside). Re-entered after the body is parsed, because body chunks arrive in the socket's
 * context, not the request's.
 *
 * Why the storage is switched off whenever no context-carrying request is in flight: on Node 20 an
 * enabled AsyncLocalStorage hooks every promise of the process (~50 µs per request here, a third of
 * the webhook receiver's CPU), whether or not the request uses it. Routes that log nothing of their
 * own opt out with `requestContext: false`, and pay nothing while no other request is in flight.
 * (Node 24, the Docker image, implements it with AsyncContextFrame, where this costs next to nothing.)
 */
export function registerRequestContext(fastify: FastifyInstance): void {
  let inFlight = 0;

  fastify.addHook('onRequest', (request: Tracked, reply: FastifyReply, done: () => void) => {
    if ((request.routeOptions.config as RequestContextRouteConfig).requestContext === false) return done();
    const store = { requestId: String(request.id) };
    request[STORE] = store;
    inFlight++;
    reply.raw.once('close', () => {
      if (--inFlight === 0) requestContext.disable();
    });
    requestContext.run(store, done);
  });

  fastify.addHook('preValidation', (request: Tracked, _reply: FastifyReply, done: () => void) => {
    const store = request[STORE];
    if (store) requestContext.run(store, done);
    else done();
  });
}
