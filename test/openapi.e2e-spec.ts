import { bootApp, TestApp } from './utils/app';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const ACCOUNT_ID = /^(cus|price|prod|pi|sub|in|re|ch|seti|evt)_/;

type Operation = {
  parameters?: Array<{ name: string; in: string; example?: unknown; examples?: unknown; schema?: { example?: unknown } }>;
  requestBody?: { content: Record<string, { example?: unknown; schema?: { $ref?: string } }> };
};

const strings = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(strings) : [];

// What a newcomer meets in Swagger UI's "Try it out", checked on the OpenAPI document it is built from.
describe('OpenAPI document (Swagger UI)', () => {
  let t: TestApp;
  let doc: { info: { description: string }; paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };
  beforeAll(async () => {
    t = await bootApp({ env: { RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'warn' } });
    doc = (await t.request({ url: '/docs-json', apiKey: null })).json();
  });
  afterAll(() => t?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

  it('never pre-fills an Idempotency-Key (a fixed one made the second POST a 422) and says what it is for', () => {
    const headers = operations().flatMap(({ op }) =>
      (op.parameters ?? []).filter((p) => p.in === 'header' && p.name === 'Idempotency-Key'),
    );
    expect(headers.length).toBeGreaterThanOrEqual(5);
    for (const h of headers) {
      expect(h.example).toBeUndefined();
      expect(h.examples).toBeUndefined();
      expect(h.schema?.example).toBeUndefined();
    }
    expect(JSON.stringify(doc)).not.toContain('5f0c2b0e');
  });

  it('request examples hold no id of an object the sandbox does not have, and the payment and customer examples work as they stand', async () => {
    const bodies = operations().filter(({ op }) => op.requestBody?.content['application/json']);
    expect(bodies.length).toBeGreaterThan(5);
    // The sandbox's demo prices exist in every sandbox (GET /v1/config names them): the only ids an example may hold.
    const demo = (await t.request({ url: '/v1/config' })).json().demoPrices as Array<{ id: string; productId: string }>;
    const seeded = new Set(demo.flatMap((p) => [p.id, p.productId]));
    const accountBound = (s: string) => ACCOUNT_ID.test(s) && !seeded.has(s);
    for (const { path, method, op } of bodies) {
      const example = op.requestBody!.content['application/json'].example;
      expect({ route: `${method} ${path}`, hasExample: example !== undefined }).toEqual({ route: `${method} ${path}`, hasExample: true });
      for (const s of strings(example))
        expect({ route: `${method} ${path}`, s, bad: UUID.test(s) || accountBound(s) }).toMatchObject({ bad: false });
    }
    // Property examples of request schemas: no account-bound ids either (e.g. the old price_1QzX... example).
    const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas;
    for (const { op } of bodies) {
      const ref = op.requestBody!.content['application/json'].schema?.$ref?.split('/').pop();
      for (const s of strings(ref ? schemas[ref] : {})) expect(accountBound(s) ? s : 'ok').toBe('ok');
    }
    for (const path of ['/v1/customers', '/v1/payments']) {
      const res = await t.request({
        method: 'POST',
        url: path,
        payload: doc.paths[path].post.requestBody!.content['application/json'].example as object,
      });
      expect({ path, status: res.statusCode }).toEqual({ path, status: 201 });
    }
    // The subscription example needs only a customer (an id from an earlier answer) besides what it holds.
    const customer = (await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'openapi@example.com' } })).json();
    const subscribed = await t.request({
      method: 'POST',
      url: '/v1/subscriptions',
      payload: {
        ...(doc.paths['/v1/subscriptions'].post.requestBody!.content['application/json'].example as object),
        customerId: customer.id,
      },
    });
    expect(subscribed.statusCode).toBe(201);
  });

  it('renders the authentication line and tells Authorize to take the key alone', () => {
    expect(doc.info.description).toContain('`Authorization: Bearer <API key>`');
    const bearer = (doc.components as { securitySchemes: Record<string, { description: string }> }).securitySchemes.bearer;
    expect(bearer.description).toMatch(/paste the API key alone/i);
  });
});
