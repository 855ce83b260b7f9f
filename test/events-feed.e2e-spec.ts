import { randomUUID } from 'node:crypto';
import { DataSource, QueryRunner } from 'typeorm';
import { recordDomainEvents, type DomainEvent } from '../src/events/domain-event';
import { EventRetention } from '../src/events/event-retention.service';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { until } from './utils/wait';

// The pull feed of issue #12: oldest first after a cursor, never past a transaction that could still commit
// an earlier event, kept EVENT_RETENTION_DAYS.
describe('GET /v1/events', () => {
  let t: TestApp;
  let ds: DataSource;
  beforeAll(async () => {
    t = await bootApp({ env: { RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'error' } });
    ds = t.app.get(DataSource);
  });
  afterAll(() => t?.close());

  const event = (type: string, objectId: string) => ({
    type,
    objectType: type.split('.')[0],
    objectId,
    object: { id: objectId, status: type.split('.')[1] },
  });
  const emit = async (type: string, objectId = randomUUID()) =>
    (await ds.transaction((m) => recordDomainEvents(m, [event(type, objectId)])))[0];
  const feed = async (q: Record<string, string> = {}) => {
    const res = await t.request({ url: '/v1/events', query: q });
    expect(res.statusCode).toBe(200);
    return res.json() as { data: DomainEvent[]; hasMore: boolean; nextCursor: string | null };
  };
  const ids = async (q: Record<string, string> = {}) => (await feed(q)).data.map((e) => e.id);
  /** Everything after `cursor` once the horizon has passed `expected` events. */
  const settled = (cursor: string | undefined, expected: number) =>
    until(
      `${expected} events in the feed`,
      () => ids(cursor ? { startingAfter: cursor, limit: '100' } : { limit: '100' }),
      (x) => x.length >= expected,
      // A hole is passed once every transaction running when it was seen has ended, and transaction ids are
      // cluster-wide: on CI's shared server, other test files' transactions count too.
      60_000,
    );
  const open = async (): Promise<QueryRunner> => {
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    return qr;
  };

  it('pages oldest first, filters by type and object, and resumes after the last id seen', async () => {
    const paymentId = randomUUID();
    const created = await emit('payment.created', paymentId);
    const customer = await emit('customer.created');
    const succeeded = await emit('payment.succeeded', paymentId);
    await settled(undefined, 3);

    const first = await feed({ limit: '2' });
    expect(first.data).toEqual([created, customer]);
    expect(first).toMatchObject({ hasMore: true, nextCursor: customer.id });
    const rest = await feed({ startingAfter: first.nextCursor!, limit: '2' });
    expect(rest.data).toEqual([succeeded]);
    expect(rest).toMatchObject({ hasMore: false, nextCursor: succeeded.id });
    // Nothing new yet: the cursor stays where the consumer is.
    expect(await feed({ startingAfter: succeeded.id })).toEqual({ data: [], hasMore: false, nextCursor: succeeded.id });

    expect(await ids({ objectId: paymentId })).toEqual([created.id, succeeded.id]);
    expect(await ids({ type: 'customer.created' })).toEqual([customer.id]);

    const bad = await t.request({ url: '/v1/events', query: { startingAfter: 'evt_0000000000000000000000000000' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'invalid_cursor' });
    expect((await t.request({ url: '/v1/events', query: { type: 'payment.exploded' } })).statusCode).toBe(400);
  });

  it('never passes an event whose transaction is still open, even behind a committed later one of an older transaction', async () => {
    const [{ last }] = await query<{ last: string }>(t.db.url, `SELECT id AS last FROM domain_events ORDER BY seq DESC LIMIT 1`);
    // An old transaction (its txid taken first) that writes its event last, like a long batch of applies.
    const older = await open();
    await older.query(`SELECT pg_current_xact_id()`);
    const inFlight = await open();
    const [late] = await recordDomainEvents(inFlight.manager, [event('refund.created', randomUUID())]);
    const [early] = await recordDomainEvents(older.manager, [event('refund.failed', randomUUID())]);
    await older.commitTransaction();
    await older.release();
    const after = await emit('customer.updated');

    // Both committed events are visible to SQL, and `early` even has txid < xmin, yet the feed holds them back:
    // a consumer that read them now would move its cursor past `late` (lower seq) and never see it.
    await until(
      'the horizon to notice the open transaction',
      () => query<{ hole: string | null }>(t.db.url, `SELECT hole_horizon::text AS hole FROM outbox_cursors WHERE name = 'horizon'`),
      (rows) => rows[0].hole !== null,
    );
    expect(await ids({ startingAfter: last })).toEqual([]);

    await inFlight.commitTransaction();
    await inFlight.release();
    expect(await settled(last, 3)).toEqual([late.id, early.id, after.id]);
  });

  it('moves past the hole a rolled-back transaction leaves', async () => {
    const before = await emit('customer.created');
    const doomed = await open();
    await recordDomainEvents(doomed.manager, [event('payment.canceled', randomUUID())]);
    await doomed.rollbackTransaction();
    await doomed.release();
    const next = await emit('payment.created');
    expect(await settled(before.id, 1)).toEqual([next.id]);
  });

  it('deletes events older than EVENT_RETENTION_DAYS in batches, with their webhook deliveries', async () => {
    const old = await emit('customer.deleted');
    const kept = await emit('customer.created');
    await settled(old.id, 1);
    await query(t.db.url, `UPDATE domain_events SET created_at = now() - interval '31 days' WHERE id = $1`, [old.id]);
    // A disabled endpoint (the delivery worker leaves it alone) with a delivery of each event.
    const [{ id: endpointId }] = await query<{ id: string }>(
      t.db.url,
      `INSERT INTO notification_endpoints (url, events, secret, enabled) VALUES ('http://127.0.0.1:9/hooks', '{*}', 'whsec_x', false) RETURNING id`,
    );
    await query(
      t.db.url,
      `INSERT INTO notification_deliveries (endpoint_id, event_seq, event_id, object_key)
       SELECT $1, seq, id, object_type || ':' || object_id FROM domain_events WHERE id = ANY ($2)`,
      [endpointId, [old.id, kept.id]],
    );
    expect(await t.app.get(EventRetention).sweep()).toBe(1);
    expect(await query(t.db.url, `SELECT id FROM domain_events WHERE id = $1`, [old.id])).toEqual([]);
    expect(await query(t.db.url, `SELECT event_id FROM notification_deliveries WHERE endpoint_id = $1`, [endpointId])).toEqual([
      { event_id: kept.id },
    ]);
    expect(await ids({ limit: '100' })).toContain(kept.id);
    expect((await t.request({ url: '/v1/events', query: { startingAfter: old.id } })).statusCode).toBe(400);
  });
});
