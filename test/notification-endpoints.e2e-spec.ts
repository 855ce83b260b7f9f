import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { recordDomainEvents } from '../src/events/domain-event';
import { OutboxHorizon } from '../src/events/outbox-horizon.service';
import { deliveriesLog } from '../src/notifications/notification-endpoints.service';
import { bootApp, OTHER_API_KEY, TestApp } from './utils/app';
import { query } from './utils/database';
import { Receiver, startReceiver, verify } from './utils/receiver';
import { until } from './utils/wait';

// Delivery side of issue #12 on events written with recordDomainEvents, exactly as the apply path writes them
// (the flows from real Stripe changes are in notification-flows.e2e-spec.ts).
describe('signed webhooks to notification endpoints', () => {
  let t: TestApp;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    t = await bootApp({
      env: {
        // The receivers all listen on 127.0.0.1: the one host endpoints may point at here.
        NOTIFICATION_ALLOWED_HOSTS: '127.0.0.1',
        NOTIFICATION_RETRY_SCHEDULE: '400ms,800ms',
        NOTIFICATION_TIMEOUT_SECONDS: '1',
        RECONCILE_INTERVAL_SECONDS: '0',
        LOG_LEVEL: 'error',
      },
    });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await t?.close();
  });

  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };
  const register = async (url: string, events: string[] = ['*']) => {
    const res = await t.request({ method: 'POST', url: '/v1/notification-endpoints', payload: { url, events } });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; secret: string; url: string; events: string[]; enabled: boolean };
  };
  const emit = async (type: string, objectId: string, status: string, previous: string | null = null) => {
    const [event] = await t.app.get(DataSource).transaction((m) =>
      recordDomainEvents(m, [
        {
          type,
          objectType: type.split('.')[0],
          objectId,
          object: { id: objectId, status },
          previous: previous ? { status: previous } : null,
        },
      ]),
    );
    return event;
  };
  const attempts = async (endpointId: string, eventId?: string) =>
    (await t.request({ url: `/v1/notification-endpoints/${endpointId}/deliveries`, query: eventId ? { eventId } : {} })).json()
      .data as Array<{
      eventId: string;
      attempt: number;
      outcome: string;
      statusCode: number | null;
      durationMs: number;
      error: string | null;
      nextRetryAt: string | null;
    }>;

  it('registers a receiver, shows its secret only on create, and refuses unknown event types', async () => {
    const r = await receiver();
    const created = await register(r.url, ['payment.succeeded', 'refund.failed']);
    expect(created).toMatchObject({ url: r.url, events: ['payment.succeeded', 'refund.failed'], enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = await t.request({ url: `/v1/notification-endpoints/${created.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).not.toHaveProperty('secret');
    const listed = (await t.request({ url: '/v1/notification-endpoints' })).json();
    expect(listed.data.map((e: { id: string }) => e.id)).toContain(created.id);

    const bad = await t.request({
      method: 'POST',
      url: '/v1/notification-endpoints',
      payload: { url: r.url, events: ['payment.exploded'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().errors[0].field).toBe('events');

    const patched = await t.request({
      method: 'PATCH',
      url: `/v1/notification-endpoints/${created.id}`,
      payload: { events: ['*'], description: 'orders' },
    });
    expect(patched.json()).toMatchObject({ events: ['*'], description: 'orders' });
    // Registering receivers is an operator's job: a key without the admin scope reads the feed, nothing more.
    const other = await t.request({ url: `/v1/notification-endpoints/${created.id}`, apiKey: OTHER_API_KEY });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: 'insufficient_scope' });
    expect((await t.request({ url: '/v1/events', apiKey: OTHER_API_KEY })).statusCode).toBe(200);
    const deleted = await t.request({ method: 'DELETE', url: `/v1/notification-endpoints/${created.id}` });
    expect(deleted.statusCode).toBe(200);
    expect((await t.request({ url: `/v1/notification-endpoints/${created.id}` })).statusCode).toBe(404);
  });

  it('Swagger documents the routes, and the example request body registers a receiver as is', async () => {
    const doc = (await t.request({ url: '/docs-json', apiKey: null })).json();
    const create = doc.paths['/v1/notification-endpoints'].post;
    expect(create.responses['201'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/NotificationEndpointWithSecretResponse',
    });
    expect(create['x-required-scope']).toBe('admin');
    expect(doc.paths['/v1/events'].get['x-required-scope']).toBe('read');
    for (const path of ['/v1/notification-endpoints/{id}/rotate-secret', '/v1/notification-endpoints/{id}/deliveries/{eventId}/retry'])
      expect(doc.paths[path].post).toBeTruthy();
    const schema = doc.components.schemas.CreateNotificationEndpointDto;
    expect(schema.required).toEqual(['url', 'events']);
    const example = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, (v as { example: unknown }).example]));
    const res = await t.request({ method: 'POST', url: '/v1/notification-endpoints', payload: example });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ url: example.url, events: example.events, description: example.description });
    await t.request({ method: 'DELETE', url: `/v1/notification-endpoints/${res.json().id}` });
  });

  it('refuses link-local and cloud metadata URLs, other schemes and hosts outside NOTIFICATION_ALLOWED_HOSTS with 400', async () => {
    const cases: Array<[string, RegExp]> = [
      ['http://169.254.169.254/latest/meta-data/', /link-local or cloud metadata address \(169\.254\.169\.254\)/],
      ['http://[fd00:ec2::254]/', /link-local or cloud metadata/],
      ['http://2852039166/', /link-local or cloud metadata/],
      ['ftp://127.0.0.1/x', /http or https/],
      ['http://localhost:8080/hook', /not in NOTIFICATION_ALLOWED_HOSTS/],
    ];
    for (const [url, detail] of cases) {
      const res = await t.request({ method: 'POST', url: '/v1/notification-endpoints', payload: { url, events: ['*'] } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'invalid_endpoint_url', detail: expect.stringMatching(detail) });
      expect(res.json().errors[0].field).toBe('url');
    }
    // An allowed host is accepted.
    const some = await register('http://127.0.0.1:9/x');
    expect(some.url).toBe('http://127.0.0.1:9/x');
    const patch = await t.request({
      method: 'PATCH',
      url: `/v1/notification-endpoints/${some.id}`,
      payload: { url: 'http://169.254.1.1/' },
    });
    expect(patch.statusCode).toBe(400);
    await t.request({ method: 'DELETE', url: `/v1/notification-endpoints/${some.id}` });
  });

  it('delivers each event signed per Standard Webhooks, webhook-id = event id, and the feed lists the same events', async () => {
    const r = await receiver();
    const endpoint = await register(r.url, ['payment.requires_action', 'payment.succeeded']);
    const paymentId = randomUUID();
    const first = await emit('payment.requires_action', paymentId, 'requires_action', 'requires_payment_method');
    await emit('customer.created', randomUUID(), 'active'); // not subscribed
    const second = await emit('payment.succeeded', paymentId, 'succeeded', 'requires_action');

    await until(
      'two deliveries',
      async () => r.received.length,
      (n) => n >= 2,
    );
    expect(r.received.map((x) => x.event.type)).toEqual(['payment.requires_action', 'payment.succeeded']);
    for (const [i, event] of [first, second].entries()) {
      const got = r.received[i];
      expect(got.headers['webhook-id']).toBe(event.id);
      expect(got.headers['content-type']).toBe('application/json');
      expect(verify(endpoint.secret, got)).toEqual(event);
      expect(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    }
    expect(() => verify('whsec_' + Buffer.alloc(32, 1).toString('base64'), r.received[0])).toThrow();

    const feed = (await t.request({ url: '/v1/events', query: { objectId: paymentId } })).json();
    expect(feed.data).toEqual([first, second]);
    const delivered = await until(
      'both attempts recorded',
      () => attempts(endpoint.id),
      (a) => a.length === 2,
    );
    expect(delivered.map((a) => [a.eventId, a.outcome, a.statusCode, a.attempt])).toEqual([
      [second.id, 'delivered', 200, 1],
      [first.id, 'delivered', 200, 1],
    ]);
  });

  it('retries 500, 500 then 200 on the schedule: three attempts, one event id, delivered once', async () => {
    const r = await receiver();
    r.reply((_req, n) => (n < 2 ? 500 : 200));
    const endpoint = await register(r.url);
    const event = await emit('refund.failed', randomUUID(), 'failed', 'pending');

    await until(
      'three requests',
      async () => r.received.length,
      (n) => n >= 3,
    );
    const log = await until(
      'the delivered attempt recorded',
      () => attempts(endpoint.id),
      (a) => a.some((x) => x.outcome === 'delivered'),
    );
    expect(log.map((a) => [a.attempt, a.outcome, a.statusCode, a.error])).toEqual([
      [3, 'delivered', 200, null],
      [2, 'retry_scheduled', 500, 'answered 500'],
      [1, 'retry_scheduled', 500, 'answered 500'],
    ]);
    expect(new Set(r.received.map((x) => x.headers['webhook-id']))).toEqual(new Set([event.id]));
    // Backoff respected: never sooner than the schedule (400 ms, then 800 ms).
    expect(r.received[1].at - r.received[0].at).toBeGreaterThanOrEqual(400 - 5);
    expect(r.received[2].at - r.received[1].at).toBeGreaterThanOrEqual(800 - 5);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.received).toHaveLength(3);
  });

  it('a receiver that never answers: timeouts, retries, dead letter; a manual retry delivers it', async () => {
    const r = await receiver();
    r.reply(() => 'hang');
    const endpoint = await register(r.url);
    const event = await emit('payment.failed', randomUUID(), 'requires_payment_method', 'requires_action');

    const log = await until(
      'the dead letter',
      () => attempts(endpoint.id),
      (a) => a.some((x) => x.outcome === 'dead_lettered'),
      20_000,
    );
    expect(log.map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [3, 'dead_lettered', null],
      [2, 'retry_scheduled', null],
      [1, 'retry_scheduled', null],
    ]);
    expect(log[0].error).toMatch(/no complete answer within 1s/);
    expect(log[0].nextRetryAt).toBeNull();
    expect(log[1].nextRetryAt).not.toBeNull();
    expect(log.every((a) => a.durationMs >= 900)).toBe(true);

    r.reply(() => 204);
    const retried = await t.request({ method: 'POST', url: `/v1/notification-endpoints/${endpoint.id}/deliveries/${event.id}/retry` });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toEqual({ endpointId: endpoint.id, eventId: event.id, status: 'pending' });
    const after = await until(
      'the manual retry delivered',
      () => attempts(endpoint.id),
      (a) => a[0]?.outcome === 'delivered',
    );
    expect(after[0]).toMatchObject({ eventId: event.id, statusCode: 204, attempt: 1 });
    expect(r.received.at(-1)!.headers['webhook-id']).toBe(event.id);

    const unknown = await t.request({ method: 'POST', url: `/v1/notification-endpoints/${endpoint.id}/deliveries/evt_nope/retry` });
    expect(unknown.statusCode).toBe(404);
  });

  it('a delivered event sent again by a manual retry keeps both successes in the log, paged and filtered as one', async () => {
    const r = await receiver();
    let failed = false; // the payment's first attempt fails, everything else succeeds
    r.reply((req) => (req.event.type === 'payment.succeeded' && !failed ? ((failed = true), 500) : 200));
    const endpoint = await register(r.url);
    const event = await emit('payment.succeeded', randomUUID(), 'succeeded', 'processing');
    const other = await emit('customer.updated', randomUUID(), 'active');
    await until(
      'both delivered',
      () => attempts(endpoint.id),
      (a) => a.filter((x) => x.outcome === 'delivered').length === 2,
    );
    const retried = await t.request({ method: 'POST', url: `/v1/notification-endpoints/${endpoint.id}/deliveries/${event.id}/retry` });
    expect(retried.statusCode).toBe(202);
    await until(
      'the retry delivered',
      () => attempts(endpoint.id, event.id),
      (a) => a.length === 3,
    );

    const page = async (startingAfter?: string) =>
      (
        await t.request({
          url: `/v1/notification-endpoints/${endpoint.id}/deliveries`,
          query: { eventId: event.id, limit: '2', ...(startingAfter ? { startingAfter } : {}) },
        })
      ).json() as {
        data: Array<{ id: string; attempt: number; outcome: string; statusCode: number }>;
        hasMore: boolean;
        nextCursor: string;
      };
    const first = await page();
    const second = await page(first.nextCursor);
    expect(first.hasMore).toBe(true);
    expect(second.hasMore).toBe(false);
    expect([...first.data, ...second.data].map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [1, 'delivered', 200], // the manual retry
      [2, 'delivered', 200],
      [1, 'retry_scheduled', 500],
    ]);
    expect((await attempts(endpoint.id, other.id)).map((a) => [a.eventId, a.outcome])).toEqual([[other.id, 'delivered']]);
    expect(r.received.filter((x) => x.event.id === event.id)).toHaveLength(3);
  });

  it('the deliveries log reads both of its indexes newest first: no Sort and no Seq Scan, however many deliveries', async () => {
    // A disabled endpoint (the worker leaves it alone) with 20,000 delivered events and a failed attempt for every tenth.
    const [{ id: endpointId }] = await query<{ id: string }>(
      t.db.url,
      `INSERT INTO notification_endpoints (url, events, secret, enabled) VALUES ('http://127.0.0.1:9/hooks', '{*}', 'whsec_x', false) RETURNING id`,
    );
    await query(
      t.db.url,
      `INSERT INTO notification_deliveries (endpoint_id, event_seq, event_id, object_key, status, attempts, delivered_at,
                                            delivered_attempt_id, delivered_status_code, delivered_duration_ms)
       SELECT $1, -g, 'evt_log_' || g, 'customer:c' || (g % 100), 'delivered', 1, now(), nextval('notification_attempts_id_seq'), 200, 3
         FROM generate_series(1, 20000) AS g`,
      [endpointId],
    );
    await query(
      t.db.url,
      `INSERT INTO notification_attempts (endpoint_id, event_seq, event_id, attempt, outcome, status_code, duration_ms)
       SELECT endpoint_id, event_seq, event_id, 1, 'retry_scheduled', 500, 3 FROM notification_deliveries
        WHERE endpoint_id = $1 AND event_seq % 10 = 0 ORDER BY event_seq`,
      [endpointId],
    );
    await query(t.db.url, 'ANALYZE notification_deliveries');
    await query(t.db.url, 'ANALYZE notification_attempts');
    for (const log of [deliveriesLog(endpointId, 21), deliveriesLog(endpointId, 21, undefined, '1000000')]) {
      const [{ 'QUERY PLAN': plan }] = await query<{ 'QUERY PLAN': unknown }>(t.db.url, `EXPLAIN (FORMAT JSON) ${log.sql}`, log.params);
      const nodes: Array<Record<string, unknown>> = [];
      const walk = (node: Record<string, unknown>) => {
        nodes.push(node);
        for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
      };
      walk((plan as Array<{ Plan: Record<string, unknown> }>)[0].Plan);
      expect(nodes.filter((n) => String(n['Node Type']).includes('Sort'))).toEqual([]);
      expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    }
    const page = (await t.request({ url: `/v1/notification-endpoints/${endpointId}/deliveries`, query: { limit: '3' } })).json();
    expect(page.data.map((a: { eventId: string; outcome: string }) => [a.eventId, a.outcome])).toEqual([
      ['evt_log_10', 'retry_scheduled'], // the failures were written last
      ['evt_log_20', 'retry_scheduled'],
      ['evt_log_30', 'retry_scheduled'],
    ]);
    await query(t.db.url, `DELETE FROM notification_endpoints WHERE id = $1`, [endpointId]);
  });

  it('a redirect is a failed attempt and its target is never contacted; a closed port is a failed attempt naming ECONNREFUSED', async () => {
    const target = await receiver();
    const redirecting = createServer((req, res) => req.resume().on('end', () => res.writeHead(302, { location: target.url }).end()));
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/hooks`;
    await new Promise((resolve) => closed.close(resolve));
    try {
      const moved = await register(`http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/hooks`);
      const refused = await register(closedUrl);
      await emit('payment.canceled', randomUUID(), 'canceled', 'requires_payment_method');
      const [first] = await until(
        'the redirect recorded',
        () => attempts(moved.id),
        (a) => a.length > 0,
      );
      expect(first).toMatchObject({
        attempt: 1,
        outcome: 'retry_scheduled',
        statusCode: 302,
        error: `redirect to ${target.url} not followed`,
      });
      const [down] = await until(
        'the refused connection recorded',
        () => attempts(refused.id),
        (a) => a.length > 0,
      );
      expect(down).toMatchObject({ attempt: 1, outcome: 'retry_scheduled', statusCode: null });
      expect(down.error).toMatch(/^ECONNREFUSED/);
      expect(target.received).toEqual([]);
    } finally {
      redirecting.closeAllConnections();
      await new Promise((resolve) => redirecting.close(resolve));
    }
  });

  it("keeps one object's events in order while the first is retried; another object's event is not held up", async () => {
    const r = await receiver();
    const a = randomUUID();
    const b = randomUUID();
    // a1's first attempt is held open, then answered 503: a1 is unfinished until its retry succeeds.
    r.reply((_req, n) => (n === 0 ? 'hang' : 200));
    await register(r.url);
    const a1 = await emit('payment.created', a, 'requires_confirmation');
    await until(
      'a1 in flight',
      async () => r.received.length,
      (n) => n >= 1,
    );
    const a2 = await emit('payment.succeeded', a, 'succeeded', 'requires_confirmation');
    const b1 = await emit('payment.created', b, 'requires_confirmation');

    await until(
      'b1 delivered while a1 is unfinished',
      async () => r.received.map((x) => x.event.id),
      (ids) => ids.includes(b1.id),
    );
    expect(r.received.map((x) => x.event.id)).not.toContain(a2.id);
    r.release(503);
    await until(
      'a2 delivered',
      async () => r.received.map((x) => x.event.id),
      (ids) => ids.includes(a2.id),
    );
    const order = r.received.map((x) => x.event.id);
    expect(order.filter((id) => id === a1.id).length).toBeGreaterThanOrEqual(2);
    expect(order.indexOf(a2.id)).toBeGreaterThan(order.lastIndexOf(a1.id));
    expect(order.filter((id) => id === a2.id)).toHaveLength(1);
  });

  it('deliveries answered together are recorded together, each with its own attempt; a failure among them is retried alone', async () => {
    const r = await receiver();
    r.reply(() => 'hang');
    const endpoint = await register(r.url);
    // Different objects, so all eight are heads and in flight at once.
    const events = [];
    for (let i = 0; i < 8; i++) events.push(await emit('customer.updated', randomUUID(), 'active'));
    await until(
      'all eight in flight',
      async () => r.held(),
      (n) => n === 8,
    );
    const failing = events[3].id;
    r.reply(() => 200); // the failing one's retry
    r.release((request) => (request.event.id === failing ? 500 : 200));

    const log = await until(
      'the retry delivered',
      () => attempts(endpoint.id),
      (a) => a.filter((x) => x.outcome === 'delivered').length === 8,
    );
    for (const event of events) {
      const own = log.filter((a) => a.eventId === event.id).map((a) => [a.attempt, a.outcome, a.statusCode]);
      expect(own).toEqual(
        event.id === failing
          ? [
              [2, 'delivered', 200],
              [1, 'retry_scheduled', 500],
            ]
          : [[1, 'delivered', 200]],
      );
    }
    expect(r.received.map((x) => x.event.id).sort()).toEqual([...events.map((e) => e.id), failing].sort());
    // Rows written by one statement share its transaction id: the seven answered together took fewer than seven.
    const [{ statements }] = await query<{ statements: number }>(
      t.db.url,
      `SELECT count(DISTINCT xmin::text)::int AS statements FROM notification_deliveries WHERE endpoint_id = $1 AND status = 'delivered' AND attempts = 1`,
      [endpoint.id],
    );
    expect(statements).toBeLessThan(7);
  });

  it('an endpoint deleted while the fan-out runs gets no delivery, and the outbox horizon moves past the event', async () => {
    const horizon = t.app.get(OutboxHorizon);
    await horizon.beforeApplicationShutdown(); // stop its loop: this test drives the step that fans out
    const deleter = new Client({ connectionString: t.db.url });
    await deleter.connect();
    try {
      const r = await receiver();
      const endpoint = await register(r.url);
      const event = await emit('customer.updated', randomUUID(), 'active');
      await deleter.query('BEGIN');
      await deleter.query('DELETE FROM notification_endpoints WHERE id = $1', [endpoint.id]);
      const step = horizon.advance();
      await until(
        'the fan-out waiting on the deleted endpoint',
        () =>
          query<{ n: number }>(
            t.db.url,
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO notification_deliveries%'`,
          ),
        ([{ n }]) => n === 1,
      );
      await deleter.query('COMMIT');
      await step; // with the foreign key's check alone, the step failed here ("violates foreign key constraint")
      const [{ passed }] = await query<{ passed: boolean }>(
        t.db.url,
        `SELECT position >= (SELECT seq FROM domain_events WHERE id = $1) AS passed FROM outbox_cursors WHERE name = 'horizon'`,
        [event.id],
      );
      expect(passed).toBe(true);
      expect(await query(t.db.url, `SELECT 1 FROM notification_deliveries WHERE endpoint_id = $1`, [endpoint.id])).toEqual([]);
    } finally {
      await deleter.end();
      horizon.onApplicationBootstrap();
    }
  });

  it('one slow endpoint never slows another', async () => {
    const slow = await receiver();
    slow.reply(() => 'hang');
    const fast = await receiver();
    const slowEndpoint = await register(slow.url);
    await register(fast.url);
    for (let i = 0; i < 12; i++) await emit('customer.updated', randomUUID(), 'active');
    // More events than the slow endpoint's in-flight slots, all held by a receiver that never answers.
    await until(
      'all twelve at the fast endpoint',
      async () => fast.received.length,
      (n) => n >= 12,
    );
    expect(slow.received.length).toBeGreaterThan(0);
    expect((await attempts(slowEndpoint.id)).filter((x) => x.outcome === 'delivered')).toHaveLength(0);
    await t.request({ method: 'DELETE', url: `/v1/notification-endpoints/${slowEndpoint.id}` });
    slow.release(200);
  });

  it('rotation: both signatures verify during the overlap, only the new one after it', async () => {
    const r = await receiver();
    const endpoint = await register(r.url, ['subscription.updated']);
    const rotated = await t.request({ method: 'POST', url: `/v1/notification-endpoints/${endpoint.id}/rotate-secret` });
    expect(rotated.statusCode).toBe(200);
    const fresh = rotated.json().secret as string;
    expect(fresh).not.toBe(endpoint.secret);

    const during = await emit('subscription.updated', randomUUID(), 'past_due', 'active');
    await until(
      'delivery during the overlap',
      async () => r.received.length,
      (n) => n >= 1,
    );
    expect(String(r.received[0].headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(fresh, r.received[0])).toEqual(during);
    expect(verify(endpoint.secret, r.received[0])).toEqual(during);

    // The 24 h overlap, over.
    await query(t.db.url, `UPDATE notification_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [
      endpoint.id,
    ]);
    const after = await emit('subscription.updated', randomUUID(), 'canceled', 'past_due');
    await until(
      'delivery after the overlap',
      async () => r.received.length,
      (n) => n >= 2,
    );
    expect(String(r.received[1].headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verify(fresh, r.received[1])).toEqual(after);
    expect(() => verify(endpoint.secret, r.received[1])).toThrow();
  });

  it(`an endpoint failing for NOTIFICATION_DISABLE_AFTER_HOURS is disabled, and PATCH enabled resumes it`, async () => {
    const r = await receiver();
    r.reply(() => 500);
    const endpoint = await register(r.url);
    await emit('customer.deleted', randomUUID(), 'deleted');
    await until(
      'first failure',
      () => attempts(endpoint.id),
      (a) => a.length >= 1,
    );
    // 73 hours of failing, compressed: the failure clock started long ago.
    await query(t.db.url, `UPDATE notification_endpoints SET failing_since = now() - interval '73 hours' WHERE id = $1`, [endpoint.id]);
    // A fresh failure now (the first event's retries may all be spent already on a loaded machine).
    await emit('customer.deleted', randomUUID(), 'deleted');
    const disabled = await until(
      'the endpoint disabled',
      async () => (await t.request({ url: `/v1/notification-endpoints/${endpoint.id}` })).json(),
      (e) => e.enabled === false,
    );
    expect(disabled.disabledReason).toMatch(/over 72 h/);
    const requests = r.received.length;
    r.reply(() => 200);
    const resumed = await t.request({ method: 'PATCH', url: `/v1/notification-endpoints/${endpoint.id}`, payload: { enabled: true } });
    expect(resumed.json()).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    await until(
      'delivered after resuming',
      () => attempts(endpoint.id),
      (a) => a[0]?.outcome === 'delivered',
      15_000,
    );
    expect(r.received.length).toBeGreaterThan(requests);
  });
});
