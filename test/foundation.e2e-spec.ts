import { query } from './utils/database';
import { API_KEY, bootApp, TestApp } from './utils/app';

describe('foundation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(() => t.close());

  it('applies migrations at boot and reports ready', async () => {
    const rows = await query<{ name: string }>(t.db.url, 'SELECT name FROM migrations ORDER BY id');
    expect(rows.map((r) => r.name)).toContain('CoreSchema1795708800000');
    const ready = await t.request({ url: '/health/ready', apiKey: null });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ok', details: { database: { status: 'up' }, migrations: { status: 'up' } } });
    const live = await t.request({ url: '/health/live', apiKey: null });
    expect(live.json()).toEqual({ status: 'ok' });
  });

  it('serves Swagger UI and an OpenAPI 3 document listing /v1/me with the bearer scheme', async () => {
    const ui = await t.request({ url: '/docs', apiKey: null });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    const doc = (await t.request({ url: '/docs-json', apiKey: null })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: 'Payments service' });
    expect(doc.paths['/v1/me'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  describe('API keys', () => {
    it.each([
      ['no key', undefined],
      ['a wrong key of the same length', 'Bearer ' + 'x'.repeat(API_KEY.length)],
      ['a key of another length', 'Bearer short'],
      ['another scheme', `Basic ${API_KEY}`],
    ])('%s -> 401 problem+json', async (_label, authorization) => {
      const res = await t.request({ url: '/v1/me', apiKey: null, headers: authorization ? { authorization } : {} });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized', title: 'Unauthorized', type: '/problems/unauthorized' });
      expect(res.json().requestId).toBe(res.headers['x-request-id']);
    });

    it('the right key -> 200 with its name', async () => {
      const res = await t.request({ url: '/v1/me' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ name: 'test', scopes: ['read', 'write', 'refunds', 'admin'] });
    });
  });

  describe('request ids', () => {
    it('echoes a sane X-Request-Id and generates one otherwise', async () => {
      const echoed = await t.request({ url: '/v1/me', headers: { 'x-request-id': 'order-42:retry.1' } });
      expect(echoed.headers['x-request-id']).toBe('order-42:retry.1');
      const generated = await t.request({ url: '/v1/me' });
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const insane = await t.request({ url: '/v1/me', headers: { 'x-request-id': 'bad id\twith spaces' } });
      expect(insane.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('puts the request id on the log lines of that request', async () => {
      await t.request({ url: '/v1/me', headers: { 'x-request-id': 'trace-me-123' } });
      const lines = t.logs.filter((l) => l.requestId === 'trace-me-123');
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
      expect(t.logs.filter((l) => l.level === 'unparsable')).toEqual([]);
    });
  });

  describe('errors', () => {
    it('malformed JSON -> 400 problem+json', async () => {
      const res = await t.request({
        method: 'POST',
        url: '/v1/customers',
        payload: '{"amount": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'malformed_json', status: 400 });
    });

    it('a wrong content type -> 415 problem+json', async () => {
      const res = await t.request({
        method: 'POST',
        url: '/v1/customers',
        payload: '<a/>',
        headers: { 'content-type': 'application/xml' },
      });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ code: 'unsupported_media_type' });
    });

    it('an unknown field -> 400 naming the field', async () => {
      const res = await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'ada@example.com', colour: 'red' } });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'colour', message: 'is not an accepted field' }] });
    });

    it('an unknown route -> 404 problem+json', async () => {
      const res = await t.request({ url: '/v1/nothing-here' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'not_found', status: 404 });
    });
  });
});
