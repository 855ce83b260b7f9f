import { request } from 'node:http';
import { API_KEY, bootApp, TestApp } from './utils/app';
import { rawRequest } from './utils/raw-http';

describe('bounded requests: authentication before the body, 1 MiB /v1 bodies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({ env: { API_KEYS: `test:${API_KEY},reader:reader_key_0123456789abcdef:read`, WEBHOOK_WORKER_ENABLED: 'false' } });
  });
  afterAll(() => t.close());

  const declaringFourMegabytes = (authorization?: string) =>
    `POST /v1/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${4 * 1024 * 1024}\r\n` +
    `${authorization ? `Authorization: ${authorization}\r\n` : ''}\r\n`;

  it('an unauthenticated POST declaring a 4 MB body and sending none gets 401 within a second', async () => {
    const exchange = await rawRequest(t.url, declaringFourMegabytes());
    const { text, elapsedMs } = await exchange.response(5_000);
    exchange.socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text).toMatch(/content-type: application\/problem\+json/i);
    expect(text).toContain('"code":"unauthorized"');
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('a key without the route scope is refused (403) before the body too', async () => {
    const exchange = await rawRequest(t.url, declaringFourMegabytes('Bearer reader_key_0123456789abcdef'));
    const { text, elapsedMs } = await exchange.response(5_000);
    exchange.socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 403 /);
    expect(text).toContain('"code":"insufficient_scope"');
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('a 2 MiB /v1 body with a key -> 413 problem+json', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/v1/customers',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@example.com', metadata: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('a body just under 1 MiB is read and validated (400 names the field, not 413)', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/v1/customers',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'not-an-email', pad: 'x'.repeat(1000 * 1000) }),
    });
    expect(res.statusCode).toBe(400);
  });

  it('33 levels of JSON -> 400 too_deep, before any validation walks it', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/v1/customers',
      headers: { 'content-type': 'application/json' },
      payload: `{"email":"d@example.com","metadata":${'['.repeat(32)}${']'.repeat(32)}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, code: 'too_deep' });
  });

  it('4 bodies nested ~2 MB deep with a key at once are refused (413 problem+json) and /health/live keeps answering', async () => {
    const levels = 1_000_000;
    const body = Buffer.from(`{"email":"d@example.com","metadata":${'['.repeat(levels)}${']'.repeat(levels)}}`);
    const send = () =>
      new Promise<{ status?: number; type?: string }>((resolve) => {
        const req = request(
          `${t.url}/v1/customers`,
          {
            method: 'POST',
            agent: false,
            headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'content-length': body.length },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] }));
          },
        );
        // The server may close the connection once it has refused a body it will not read: that is a refusal too.
        req.on('error', () => resolve({}));
        req.end(body);
      });
    let attacking = true;
    const probes: number[] = [];
    const probing = (async () => {
      while (attacking) {
        const started = Date.now();
        expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
        probes.push(Date.now() - started);
      }
    })();
    const answers = await Promise.all([send(), send(), send(), send()]);
    attacking = false;
    await probing;
    for (const answer of answers.filter((a) => a.status !== undefined))
      expect(answer).toEqual({ status: 413, type: expect.stringContaining('application/problem+json') });
    expect(answers.some((a) => a.status === 413)).toBe(true);
    // The ~50 ms goal is measured by npm run bench:attack; this bound only catches a stall (before #11 a
    // 4.8 MB body held every request for 17.6 s), with room for a busy CI machine.
    expect(probes.length).toBeGreaterThan(0);
    expect(Math.max(...probes)).toBeLessThan(1_000);
  });
});
