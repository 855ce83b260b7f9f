import { bootApp, TestApp } from './utils/app';
import { rawRequest } from './utils/raw-http';

// Every error is problem+json, Fastify's own and the HTTP parser's included (issue #11).
describe('every error is problem+json', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({ env: { WEBHOOK_WORKER_ENABLED: 'false' } });
  });
  afterAll(() => t.close());

  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number) => {
    expect({ status: res.statusCode, type: res.headers['content-type'] }).toEqual({
      status,
      type: expect.stringContaining('application/problem+json'),
    });
    expect(res.json()).toMatchObject({ status, type: expect.any(String), title: expect.any(String), code: expect.any(String) });
  };

  it('a malformed URL (GET /v1/payments/%E0%A4%A) -> 400', async () => {
    const res = await t.request({ url: '/v1/payments/%E0%A4%A' });
    expectProblem(res, 400);
  });

  it('a 2,000-character path id -> 414', async () => {
    const res = await t.request({ url: `/v1/payments/${'a'.repeat(2000)}` });
    expectProblem(res, 414);
  });

  it("the router's own errors carry the headers every other answer has (security headers, request id)", async () => {
    const normal = await t.request({ url: '/v1/payments/00000000-0000-4000-8000-000000000000' });
    expect(normal.statusCode).toBe(404);
    for (const url of ['/v1/payments/%E0%A4%A', `/v1/payments/${'a'.repeat(2000)}`]) {
      const res = await t.request({ url, headers: { 'x-request-id': 'router-error-1' } });
      for (const name of ['x-content-type-options', 'content-security-policy', 'x-frame-options', 'referrer-policy'])
        expect([name, res.headers[name]]).toEqual([name, normal.headers[name]]);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-request-id']).toBe('router-error-1');
    }
  });

  it('a 2 MiB /v1 body -> 413', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/v1/customers',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expectProblem(res, 413);
  });

  it('a body that is not JSON -> 415', async () => {
    const res = await t.request({ method: 'POST', url: '/v1/customers', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expectProblem(res, 415);
  });

  it('an unknown route -> 404, a wrong method -> 404 or 405', async () => {
    expectProblem(await t.request({ url: '/v1/nothing-here' }), 404);
    const res = await t.request({ method: 'DELETE', url: '/v1/me' });
    expect([404, 405]).toContain(res.statusCode);
    expectProblem(res, res.statusCode);
  });

  it('malformed framing refused by the HTTP parser (two Content-Length headers) -> 400', async () => {
    const exchange = await rawRequest(
      t.url,
      'POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}',
    );
    const { text } = await exchange.response(5_000);
    exchange.socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toMatch(/content-type: application\/problem\+json/i);
  });

  it('headers larger than Node accepts -> 431 problem+json from the parser error handler', async () => {
    const exchange = await rawRequest(t.url, `GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const { text } = await exchange.response(5_000);
    exchange.socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    expect(text).toMatch(/content-type: application\/problem\+json/i);
    expect(text).toContain('"status":431');
  });
});
