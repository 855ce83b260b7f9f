import type { FastifyInstance } from 'fastify';
import { DURATION_BUCKETS, histogram } from './metrics';

const requestDuration = histogram({
  name: 'http_server_request_duration_seconds',
  help: 'HTTP requests served, by method, route template (unmatched for 404s without a route) and status code',
  labelNames: ['method', 'route', 'status_code'],
  buckets: DURATION_BUCKETS,
});

/**
 * One observation per response, in Fastify's own onResponse hook: it sees every answer, including those
 * of guards, filters and 404s that no Nest interceptor sees. The route label is the template
 * (`/v1/payments/:id`), never the URL, so ids cannot multiply the series.
 */
export function registerHttpMetrics(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    requestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
