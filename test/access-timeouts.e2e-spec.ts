import { API_KEY, bootApp, TestApp } from './utils/app';
import { rawRequest } from './utils/raw-http';

describe('timeouts: a slow client never holds a connection', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({ env: { HTTP_REQUEST_TIMEOUT_SECONDS: '3', WEBHOOK_WORKER_ENABLED: 'false' } });
  });
  afterAll(() => t.close());

  const dribble = async (head: string, body = '') => {
    const exchange = await rawRequest(t.url, '');
    const bytes = [...head, ...body];
    // One byte per second, as long as the server keeps the connection open.
    const timer = setInterval(() => {
      const next = bytes.shift();
      if (next !== undefined && !exchange.socket.destroyed) exchange.socket.write(next);
    }, 1000);
    const result = await exchange.response(15_000);
    clearInterval(timer);
    exchange.socket.destroy();
    return result;
  };

  it('headers sent at 1 byte per second: 408 or closed within 6 s (HTTP_REQUEST_TIMEOUT_SECONDS=3)', async () => {
    const { text, closed, elapsedMs } = await dribble(`GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_KEY}\r\n\r\n`);
    expect(closed || /^HTTP\/1\.1 408 /.test(text)).toBe(true);
    expect(text).not.toMatch(/^HTTP\/1\.1 200 /);
    expect(elapsedMs).toBeLessThan(6_000);
  });

  it('a body sent at 1 byte per second after complete headers: 408 or closed within 6 s', async () => {
    const body = JSON.stringify({ email: 'slow@example.com' });
    const head = `POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${API_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const exchange = await rawRequest(t.url, head);
    const timer = setInterval(() => !exchange.socket.destroyed && exchange.socket.write('{'), 1000);
    const { text, closed, elapsedMs } = await exchange.response(15_000);
    clearInterval(timer);
    exchange.socket.destroy();
    expect(closed || /^HTTP\/1\.1 408 /.test(text)).toBe(true);
    expect(elapsedMs).toBeLessThan(6_000);
  });
});
