import { ApiKeyAuth } from '../src/common/auth/api-key-auth';
import { lookupRoute } from '../src/common/auth/route-table';
import { SCOPES } from '../src/common/auth/scopes';
import { bootApp, TestApp } from './utils/app';

// One key per scope, one key per "every scope but one", and a key declared without scopes.
const only = (scope: string) => `only_${scope}_0123456789abcdef`;
const allBut = (scope: string) => `allbut_${scope}_0123456789abcdef`;
const DEFAULT_KEY = 'default_key_0123456789abcdef';
const API_KEYS = [
  ...SCOPES.map((s) => `only-${s}:${only(s)}:${s}`),
  ...SCOPES.map((s) => `allbut-${s}:${allBut(s)}:${SCOPES.filter((x) => x !== s).join('+')}`),
  `default:${DEFAULT_KEY}`,
].join(',');

// Routes Nest does not own: Swagger UI and its document. Anything else must be a Nest route declaring its access.
// Static files served by @fastify/static, not Nest routes: /docs (Swagger UI) and the checkout page's files.
const NOT_NEST = [/^\/docs($|\/|-json$|-yaml$)/, /^\/checkout\/\*$/];
const ID = '00000000-0000-4000-8000-000000000000';

describe('scoped API keys', () => {
  let t: TestApp;
  let auth: ApiKeyAuth;
  beforeAll(async () => {
    t = await bootApp({ env: { API_KEYS, RECONCILE_INTERVAL_SECONDS: '0', WEBHOOK_WORKER_ENABLED: 'false' } });
    auth = t.app.get(ApiKeyAuth);
  });
  afterAll(() => t.close());

  it('every registered route declares a scope, AnyApiKey or Public (new routes cannot forget)', () => {
    const routes = auth.registered.filter((r) => r.method !== 'HEAD' && !NOT_NEST.some((re) => re.test(r.url)));
    expect(routes.length).toBeGreaterThan(20);
    const table = auth.routeTable();
    const undeclared = routes.filter((r) => !lookupRoute(new Map(table), r.method, r.url)).map((r) => `${r.method} ${r.url}`);
    expect(undeclared).toEqual([]);
  });

  const scoped = () =>
    [...auth.routeTable()]
      .flatMap(([route, req]) => (req && 'scope' in req ? [{ route, scope: req.scope }] : []))
      .map(({ route, scope }) => {
        const [method, url] = route.split(' ');
        return { method: method as 'GET' | 'POST', url: url.replace(/:[^/]+/g, ID), scope };
      });

  it('maps routes to scopes as documented', () => {
    const byScope = (scope: string) => [...auth.routeTable()].filter(([, r]) => r && 'scope' in r && r.scope === scope).map(([k]) => k);
    expect(byScope('refunds')).toEqual(['POST /v1/refunds']);
    expect(byScope('admin').sort()).toEqual(
      [
        'GET /v1/webhooks/events',
        'GET /v1/webhooks/events/:id',
        'POST /v1/webhooks/events/:id/retry',
        'POST /v1/admin/reconcile',
        'POST /v1/notification-endpoints',
        'GET /v1/notification-endpoints',
        'GET /v1/notification-endpoints/:id',
        'PATCH /v1/notification-endpoints/:id',
        'DELETE /v1/notification-endpoints/:id',
        'POST /v1/notification-endpoints/:id/rotate-secret',
        'GET /v1/notification-endpoints/:id/deliveries',
        'POST /v1/notification-endpoints/:id/deliveries/:eventId/retry',
      ].sort(),
    );
    expect(byScope('read')).toEqual(
      expect.arrayContaining(['GET /v1/payments/:id', 'GET /v1/customers', 'GET /v1/config', 'GET /v1/events']),
    );
    expect(byScope('read').every((r) => r.startsWith('GET '))).toBe(true);
    expect(byScope('write')).toEqual(
      expect.arrayContaining(['POST /v1/payments', 'POST /v1/payments/:id/capture', 'DELETE /v1/customers/:id']),
    );
  });

  it('scope matrix: a key without the route scope gets 403 insufficient_scope naming it; a key with only that scope gets past', async () => {
    const failures: string[] = [];
    for (const { method, url, scope } of scoped()) {
      const denied = await t.request({ method, url, apiKey: allBut(scope), payload: method === 'GET' ? undefined : {} });
      const body = denied.json();
      if (
        denied.statusCode !== 403 ||
        body.code !== 'insufficient_scope' ||
        !body.detail.includes(`"${scope}"`) ||
        body.requiredScope !== scope
      ) {
        failures.push(`${method} ${url} without ${scope}: ${denied.statusCode} ${denied.body}`);
      }
      if (!String(denied.headers['content-type']).includes('application/problem+json')) failures.push(`${method} ${url}: not problem+json`);
      const allowed = await t.request({ method, url, apiKey: only(scope), payload: method === 'GET' ? undefined : {} });
      if ([401, 403].includes(allowed.statusCode)) failures.push(`${method} ${url} with ${scope}: ${allowed.statusCode} ${allowed.body}`);
    }
    expect(failures).toEqual([]);
  });

  it('a key declared without scopes cannot reconcile, list the inbox or retry events, but can read, write and refund', async () => {
    for (const [method, url] of [
      ['POST', '/v1/admin/reconcile'],
      ['GET', '/v1/webhooks/events'],
      ['POST', '/v1/webhooks/events/evt_123/retry'],
    ] as const) {
      const res = await t.request({ method, url, apiKey: DEFAULT_KEY });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'insufficient_scope', requiredScope: 'admin' });
    }
    expect((await t.request({ url: '/v1/payments', apiKey: DEFAULT_KEY })).statusCode).toBe(200);
    expect((await t.request({ method: 'POST', url: '/v1/refunds', apiKey: DEFAULT_KEY, payload: {} })).statusCode).toBe(400);
  });

  it('GET /v1/me shows the name and scopes of any valid key', async () => {
    expect((await t.request({ url: '/v1/me', apiKey: DEFAULT_KEY })).json()).toEqual({
      name: 'default',
      scopes: ['read', 'write', 'refunds'],
    });
    expect((await t.request({ url: '/v1/me', apiKey: only('admin') })).json()).toEqual({ name: 'only-admin', scopes: ['admin'] });
  });

  it('shows each route scope in the OpenAPI document', async () => {
    const doc = (await t.request({ url: '/docs-json', apiKey: null })).json();
    expect(doc.paths['/v1/refunds'].post['x-required-scope']).toBe('refunds');
    expect(doc.paths['/v1/admin/reconcile'].post['x-required-scope']).toBe('admin');
    expect(doc.paths['/v1/payments/{id}'].get['x-required-scope']).toBe('read');
    expect(doc.paths['/v1/payments/{id}'].get.responses['403'].description).toContain('`read`');
  });
});
