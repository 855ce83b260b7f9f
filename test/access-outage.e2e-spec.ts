import { randomUUID } from 'node:crypto';
import { appOnDedicatedPostgres } from './utils/dedicated-postgres';
import { until } from './utils/wait';

const atLeastWarn = (l: Record<string, unknown>) => ['warn', 'error', 'fatal'].includes(String(l.level));
const atLeastError = (l: Record<string, unknown>) => ['error', 'fatal'].includes(String(l.level));

// A PostgreSQL of this file's own, stopped under the running app (issue #11: outages are 503, quietly).
describe('a database outage is 503, quietly', () => {
  const on = appOnDedicatedPostgres();

  it('answers every route 503 problem+json with Retry-After (never 500), logs it once per interval with a count, and recovers without a restart', async () => {
    const created = await on.t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'outage@example.com' } });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: string }>();

    await on.pg.stop();
    const firstLog = on.t.logs.length;
    const started = Date.now();
    const routes = [
      { method: 'GET' as const, url: `/v1/customers/${id}` },
      { method: 'GET' as const, url: `/v1/payments/${randomUUID()}` },
      { method: 'GET' as const, url: '/v1/payments' },
      { method: 'POST' as const, url: '/v1/customers', payload: { email: 'during@example.com' } },
      { method: 'GET' as const, url: '/v1/webhooks/events' },
    ];
    let answered = 0;
    for (let round = 0; round < 5; round++) {
      for (const route of routes) {
        const res = await on.t.request(route);
        expect({ route: route.url, status: res.statusCode, type: res.headers['content-type'], code: res.json().code }).toEqual({
          route: route.url,
          status: 503,
          type: expect.stringContaining('application/problem+json'),
          code: 'database_unavailable',
        });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        answered++;
      }
      const ready = await on.t.request({ url: '/health/ready', apiKey: null });
      expect({ status: ready.statusCode, type: ready.headers['content-type'] }).toEqual({
        status: 503,
        type: expect.stringContaining('application/problem+json'),
      });
      expect(Number(ready.headers['retry-after'])).toBeGreaterThan(0);
    }
    const elapsedMs = Date.now() - started;
    const lines = on.t.logs.slice(firstLog);
    // No error line at all (no stack per request, readiness is not an "Unhandled error").
    expect(lines.filter(atLeastError)).toEqual([]);
    // One line for the whole run of 503s per interval (10 s), not one per request.
    const outageLines = lines.filter((l) => atLeastWarn(l) && String(l.msg).includes('503 database_unavailable'));
    expect(answered).toBe(25);
    expect(outageLines.length).toBeGreaterThanOrEqual(1);
    expect(outageLines.length).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / 10_000));
    expect(lines.filter(atLeastWarn).length).toBeLessThan(answered);

    await on.pg.start();
    const back = await until(
      'the API answering again',
      () => on.t.request({ url: `/v1/customers/${id}` }),
      (res) => res.statusCode === 200,
      30_000,
    );
    expect(back.json()).toMatchObject({ id, email: 'outage@example.com' });
    expect((await on.t.request({ url: '/health/ready', apiKey: null })).statusCode).toBe(200);
  }, 120_000);
});
