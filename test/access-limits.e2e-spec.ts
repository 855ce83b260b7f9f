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
});
