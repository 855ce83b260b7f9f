import { randomUUID } from 'node:crypto';
import { mirrorHooks } from '../src/common/mirror/mirror-hooks';
import { IdempotencyService } from '../src/common/idempotency/idempotency.service';
import { WebhookRetention } from '../src/webhooks/webhook-retention.service';
import { CLAIM_SQL, WebhookWorker } from '../src/webhooks/webhook-worker.service';
import { paymentIntentObject } from './payments-helpers';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { signedDelivery, stripeEvent, WEBHOOK_SECRET } from './utils/stripe-signing';
import { until } from './utils/wait';

// #16: the inbox worker applies claimed batches in one transaction, its claim does not depend on the
// backlog, and old rows are deleted. The worker loop is off here: each test runs the claims it needs.
describe('webhook inbox: batches, claim plan, retention', () => {
  let t: TestApp;
  let worker: WebhookWorker;

  beforeAll(async () => {
    t = await bootApp({
      env: {
        STRIPE_SECRET_KEY: 'sk_test_inbox',
        STRIPE_API_BASE_URL: 'http://127.0.0.1:9',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        WEBHOOK_WORKER_ENABLED: 'false',
        WEBHOOK_BACKOFF_BASE_MS: '50',
        RECONCILE_INTERVAL_SECONDS: '0',
        LOG_LEVEL: 'warn',
      },
    });
    worker = t.app.get(WebhookWorker);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    delete mirrorHooks.beforeCommit;
  });

  const deliver = async (event: unknown) => {
    const res = await t.request({ method: 'POST', url: '/v1/webhooks/stripe', apiKey: null, ...signedDelivery(event) });
    expect(res.statusCode).toBe(200);
  };
  const inbox = (ids: string[]) =>
    query<{ id: string; status: string; attempts: number; last_error: string | null }>(
      t.db.url,
      'SELECT id, status, attempts, last_error FROM webhook_events WHERE id = ANY($1)',
      [ids],
    );

  /** A payment of ours waiting for confirmation, and the payment_intent.succeeded event that completes it. */
  async function paymentAndEvent(n: number) {
    const id = randomUUID();
    const pi = `pi_batch_${n}_${id.slice(0, 8)}`;
    await query(
      t.db.url,
      `INSERT INTO payments (id, stripe_payment_intent_id, amount, currency, status, capture_method)
       VALUES ($1, $2, 1500, 'usd', 'requires_payment_method', 'automatic')`,
      [id, pi],
    );
    const event = stripeEvent(
      'payment_intent.succeeded',
      paymentIntentObject(pi, id, { amount: 1500, amount_received: 1500, status: 'succeeded' }),
    );
    return { id, pi, event };
  }
  const paymentStatus = async (id: string) =>
    (await query<{ status: string }>(t.db.url, 'SELECT status FROM payments WHERE id = $1', [id]))[0].status;

  it('one event of a batch fails: the others are applied, the failing one is retried alone and applies later', async () => {
    const items = await Promise.all([1, 2, 3, 4, 5].map((n) => paymentAndEvent(n)));
    for (const { event } of items) await deliver(event);
    const failing = items[2];
    const applied: string[] = [];
    mirrorHooks.beforeCommit = (table, stripeId) => {
      if (table !== 'payments') return;
      if (stripeId === failing.pi) throw new Error('handler failed for this event');
      applied.push(stripeId);
    };

    expect(await worker.runOnce()).toBe(5); // one claim took the whole batch

    const rows = new Map((await inbox(items.map((i) => i.event.id))).map((r) => [r.id, r]));
    for (const item of items) {
      if (item === failing) continue;
      expect(rows.get(item.event.id)).toMatchObject({ status: 'processed', attempts: 1 });
      expect(await paymentStatus(item.id)).toBe('succeeded');
    }
    expect(rows.get(failing.event.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: 'Error: handler failed for this event',
    });
    expect(await paymentStatus(failing.id)).toBe('requires_payment_method');
    // Each of the others has exactly one domain event: the rolled-back batch left none behind.
    const events = await query<{ n: number }>(
      t.db.url,
      `SELECT count(*)::int AS n FROM domain_events WHERE type = 'payment.succeeded' AND object_id = ANY($1::text[])`,
      [items.map((i) => i.id)],
    );
    expect(events).toEqual([{ n: 4 }]);

    // The handler works again: the next claim, once the backoff passed, takes the failed event alone.
    delete mirrorHooks.beforeCommit;
    const retried = await until(
      'the failed event to be claimed again',
      () => worker.runOnce(),
      (n) => n > 0,
    );
    expect(retried).toBe(1);
    expect((await inbox([failing.event.id]))[0]).toMatchObject({ status: 'processed', attempts: 2, last_error: null });
    expect(await paymentStatus(failing.id)).toBe('succeeded');
  });

  it('the claim reads the due index in order: no Sort over the backlog, whatever its size', async () => {
    // 50,000 pending rows (a backlog), plus processed history: the claim must not sort or scan either.
    await query(
      t.db.url,
      `INSERT INTO webhook_events (id, type, livemode, stripe_created, object_id, payload, status, next_attempt_at, received_at)
       SELECT 'evt_backlog_' || g, 'test.unhandled', false, 1700000000 + g, 'pi_backlog_' || g,
              json_build_object('id', 'evt_backlog_' || g, 'type', 'test.unhandled', 'created', 1700000000 + g, 'data', json_build_object('object', '{}'::json)),
              CASE WHEN g % 2 = 0 THEN 'pending' ELSE 'processed' END,
              now() - make_interval(secs => g), now() - make_interval(secs => g)
         FROM generate_series(1, 100000) AS g`,
    );
    await query(t.db.url, 'ANALYZE webhook_events');
    const [{ 'QUERY PLAN': plan }] = await query<{ 'QUERY PLAN': unknown }>(t.db.url, `EXPLAIN (FORMAT JSON) ${CLAIM_SQL}`, [50, 60]);
    const nodes: Array<Record<string, unknown>> = [];
    const walk = (node: Record<string, unknown>) => {
      nodes.push(node);
      for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
    };
    walk((plan as Array<{ Plan: Record<string, unknown> }>)[0].Plan);
    const text = JSON.stringify(plan);
    expect(nodes.filter((n) => String(n['Node Type']).includes('Sort'))).toEqual([]);
    expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'webhook_events')).toEqual([]);
    expect(text).toContain('webhook_events_due_idx');
    // And it claims the rows due longest first (the largest g: due g seconds ago; even g are the pending ones).
    const batch = t.config.webhooks.batchSize;
    expect(await worker.runOnce()).toBe(batch);
    const claimed = await query<{ id: string; status: string }>(
      t.db.url,
      `SELECT id, status FROM webhook_events WHERE id LIKE 'evt_backlog_%' AND attempts = 1 ORDER BY id COLLATE "C"`,
    );
    const expected = Array.from({ length: batch }, (_, i) => ({ id: `evt_backlog_${100000 - 2 * i}`, status: 'processed' }));
    expect(claimed).toEqual(expected.sort((a, b) => (a.id < b.id ? -1 : 1)));
    await query(t.db.url, `DELETE FROM webhook_events WHERE id LIKE 'evt_backlog_%'`);
  });

  it('retention deletes only processed and ignored rows older than WEBHOOK_RETENTION_DAYS, and expired idempotency records', async () => {
    const days = t.config.webhooks.retentionDays;
    const rows: Array<[string, string, number]> = [
      ['evt_ret_old_processed', 'processed', days + 1],
      ['evt_ret_old_ignored', 'ignored', days + 2],
      ['evt_ret_old_failed', 'failed', days + 5],
      ['evt_ret_old_pending', 'pending', days + 1],
      ['evt_ret_new_processed', 'processed', days - 1],
    ];
    for (const [id, status, age] of rows)
      await query(
        t.db.url,
        `INSERT INTO webhook_events (id, type, livemode, stripe_created, object_id, payload, status, received_at, next_attempt_at)
         VALUES ($1, 'customer.updated', false, 1700000000, 'cus_x', '{}'::json, $2, now() - make_interval(days => $3), now() + interval '1 day')`,
        [id, status, age],
      );
    expect(await t.app.get(WebhookRetention).sweep()).toBe(2);
    const left = await query<{ id: string }>(t.db.url, `SELECT id FROM webhook_events WHERE id LIKE 'evt_ret_%' ORDER BY id COLLATE "C"`);
    expect(left.map((r) => r.id)).toEqual(['evt_ret_new_processed', 'evt_ret_old_failed', 'evt_ret_old_pending']);

    const keys: Array<[string, string, string]> = [
      ['expired-completed', 'completed', '-1 hour'],
      ['expired-in-progress', 'in_progress', '-1 hour'],
      ['live-completed', 'completed', '1 hour'],
    ];
    for (const [key, status, offset] of keys)
      await query(
        t.db.url,
        `INSERT INTO idempotency_keys (id, api_key_name, key, request_method, request_path, request_hash, status, expires_at)
         VALUES ($1, 'test', $2, 'POST', '/v1/payments', 'h', $3, now() + $4::interval)`,
        [randomUUID(), key, status, offset],
      );
    expect(await t.app.get(IdempotencyService).deleteExpired()).toBe(1);
    const kept = await query<{ key: string }>(t.db.url, `SELECT key FROM idempotency_keys ORDER BY key COLLATE "C"`);
    expect(kept.map((k) => k.key)).toEqual(['expired-in-progress', 'live-completed']);
  });
});
