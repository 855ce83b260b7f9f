import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { problem, PROBLEM_CONTENT_TYPE } from '../errors/problem';

/**
 * A FastifyAdapter that knows when the application starts closing: Nest calls beforeClose() first thing in
 * app.close() (SIGTERM in main.ts), before any shutdown hook runs and long before the server stops listening.
 */
export class ClosingAwareFastifyAdapter extends FastifyAdapter {
  closing = false;

  override beforeClose(): void {
    this.closing = true;
    super.beforeClose();
  }
}

/**
 * From the moment the app starts closing, every new request (readiness included, so a load balancer stops
 * sending at once) is answered 503 problem+json with Connection: close; requests already past this hook finish.
 * Fastify's own return503OnClosing answers plain JSON and only once the server closes, hence this hook.
 */
export function refuseWhileClosing(fastify: FastifyInstance, adapter: ClosingAwareFastifyAdapter): void {
  const body = problem(503, 'shutting_down', 'This instance is shutting down; retry, another instance will answer.');
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!adapter.closing) return done();
    void reply
      .code(503)
      .header('connection', 'close')
      .header('retry-after', '1')
      .type(PROBLEM_CONTENT_TYPE)
      .send({ ...body, requestId: String(request.id) });
  });
}
