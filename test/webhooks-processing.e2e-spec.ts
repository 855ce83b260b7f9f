import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { startStripeEmulator, StripeEmulator } from '@app/stripe-emulator';
import { bootApp, TestApp } from './utils/app';
import { until } from './utils/wait';
import { deliver, deliverOverHttp, ownEmulatorEnv } from './utils/webhook-delivery';
import { later as moveClock, paymentIntentObject } from './payments-helpers';
import { query } from './utils/database';
import { stripeEvent } from './utils/stripe-signing';

// Not sandbox: our own emulator with NO webhook endpoint, so the only deliveries are the ones this file
// makes, in the order it chooses, with the payloads the emulator really produced.
describe('webhook processing: exactly once in effect, order safety, retries, operators', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let t: TestApp;
  let other: TestApp;
  const env = (e: StripeEmulator) => ownEmulatorEnv(e, { WEBHOOK_MAX_ATTEMPTS: '3' });

  beforeAll(async () => {
    // Refunds settle only when a test says so (after moving the clock on), never on a timer.
    emulator = await startStripeEmulator({ asyncDelayMs: 600_000, webhookRetryDelaysMs: [50, 100, 200] });
    stripe = new Stripe(emulator.secretKey, { host: '127.0.0.1', port: emulator.port, protocol: 'http' });
    t = await bootApp({ env: env(emulator) });
    other = await bootApp({ db: t.db, env: env(emulator) });
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
    await emulator?.close();
  });

  const inbox = async (id: string) =>
    (
      await query<{ status: string; attempts: number; note: string | null; last_error: string | null }>(
        t.db.url,
        'SELECT status, attempts, note, last_error FROM webhook_events WHERE id = $1',
        [id],
      )
    )[0];
  const settled = (id: string) =>
    until(
      `event ${id} to settle`,
      () => inbox(id),
      (r) => !!r && ['processed', 'failed', 'ignored'].includes(r.status),
    );
  /** The events the emulator recorded for one object, oldest first. */
  async function eventsFor(objectId: string, typePrefix = ''): Promise<Stripe.Event[]> {
    const all: Stripe.Event[] = [];
    for await (const e of stripe.events.list({ limit: 100 }))
      if ((e.data.object as { id?: string }).id === objectId && e.type.startsWith(typePrefix)) all.push(e);
    return all.reverse();
  }
  const payment = async (id: string) => (await t.request({ url: `/v1/payments/${id}` })).json();
  const later = () => moveClock(emulator.url);
  const settleRefund = async (stripeRefundId: string) => {
    await later();
    const res = await fetch(`${emulator.url}/_emulator/refunds/${stripeRefundId}/settle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    if (res.status !== 200) throw new Error(`settle: ${res.status} ${await res.text()}`);
  };
  const refund = async (id: string) => (await t.request({ url: `/v1/refunds/${id}` })).json();

  async function createPayment(body: Record<string, unknown> = {}) {
    const res = await t.request({ method: 'POST', url: '/v1/payments', payload: { amount: 5000, currency: 'usd', ...body } });
    if (res.statusCode !== 201) throw new Error(`payment: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string; stripePaymentIntentId: string; status: string };
  }

  it('succeeded, then a stale payment_failed (real emulator payloads) -> stays succeeded', async () => {
    const p = await createPayment();
    await later();
    await expect(
      stripe.paymentIntents.confirm(p.stripePaymentIntentId, { payment_method: 'pm_card_visa_chargeDeclined' }),
    ).rejects.toThrow();
    await later();
    await stripe.paymentIntents.confirm(p.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    const [failed] = await eventsFor(p.stripePaymentIntentId, 'payment_intent.payment_failed');
    const [succeeded] = await eventsFor(p.stripePaymentIntentId, 'payment_intent.succeeded');
    expect((failed.data.object as Stripe.PaymentIntent).last_payment_error?.decline_code).toBe('generic_decline');
    expect((await payment(p.id)).status).toBe('requires_payment_method');

    expect((await deliver(t, succeeded)).statusCode).toBe(200);
    await settled(succeeded.id);
    expect(await payment(p.id)).toMatchObject({ status: 'succeeded', amountReceived: 5000, lastPaymentError: null });

    expect((await deliver(t, failed)).statusCode).toBe(200);
    expect(await settled(failed.id)).toMatchObject({ status: 'processed', note: expect.stringMatching(/^stale/) });
    expect(await payment(p.id)).toMatchObject({ status: 'succeeded', amountReceived: 5000, lastPaymentError: null });
  });

  it('refund events in reverse order converge (pending -> failed later, pm_card_refundFail)', async () => {
    const p = await createPayment({ paymentMethod: 'pm_card_refundFail', confirm: true });
    expect(p.status).toBe('succeeded');
    const r = (await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: p.id, amount: 2000 } })).json();
    expect(r.status).toBe('pending');
    await settleRefund(r.stripeRefundId);
    const events = await until(
      'refund.failed at the emulator',
      () => eventsFor(r.stripeRefundId, 'refund.'),
      (es) => es.some((e) => e.type === 'refund.failed'),
    );
    expect(events.map((e) => e.type)).toEqual(['refund.created', 'refund.updated', 'refund.failed']);
    for (const e of [...events].reverse()) expect((await deliver(t, e)).statusCode).toBe(200);
    for (const e of events) await settled(e.id);
    expect(await refund(r.id)).toMatchObject({ status: 'failed', failureReason: 'expired_or_canceled_card' });
    expect((await payment(p.id)).amountRefunded).toBe(0);
  });

  it('refund.updated before refund.created converges; redelivering everything changes nothing (amountRefunded not doubled)', async () => {
    const p = await createPayment({ paymentMethod: 'pm_card_pendingRefund', confirm: true });
    const r = (await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: p.id, amount: 1500 } })).json();
    await settleRefund(r.stripeRefundId);
    const events = await until(
      'refund.updated',
      () => eventsFor(r.stripeRefundId, 'refund.'),
      (es) => es.some((e) => e.type === 'refund.updated'),
    );
    const charge = (
      await eventsFor((await stripe.paymentIntents.retrieve(p.stripePaymentIntentId)).latest_charge as string, 'charge.refunded')
    )[0];
    const all = [...events].reverse().concat(charge ? [charge] : []);
    for (const e of all) await deliver(t, e);
    for (const e of all) await settled(e.id);
    expect(await refund(r.id)).toMatchObject({ status: 'succeeded' });
    expect((await payment(p.id)).amountRefunded).toBe(1500);
    for (const e of all) await deliver(t, e);
    await new Promise((res) => setTimeout(res, 200));
    expect((await payment(p.id)).amountRefunded).toBe(1500);
    for (const e of all) expect((await inbox(e.id)).attempts).toBe(1);
  });

  it('one event posted 5 times concurrently -> one inbox row, applied once', async () => {
    const p = await createPayment({ paymentMethod: 'pm_card_pendingRefund', confirm: true });
    const r = (await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: p.id, amount: 700 } })).json();
    await settleRefund(r.stripeRefundId);
    const [updated] = await until(
      'refund.updated',
      () => eventsFor(r.stripeRefundId, 'refund.updated'),
      (es) => es.length > 0,
    );
    const answers = await Promise.all(Array.from({ length: 5 }, () => deliverOverHttp(t, updated)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await query(t.db.url, 'SELECT count(*)::int AS n FROM webhook_events WHERE id = $1', [updated.id])).toEqual([{ n: 1 }]);
    expect(await settled(updated.id)).toMatchObject({ status: 'processed', attempts: 1 });
    expect(await refund(r.id)).toMatchObject({ status: 'succeeded' });
    expect((await payment(p.id)).amountRefunded).toBe(700);
  });

  it('the same event posted to two app instances sharing one database -> one row, processed once by one of them', async () => {
    const p = await createPayment({ paymentMethod: 'pm_card_pendingRefund', confirm: true });
    const r = (await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: p.id, amount: 900 } })).json();
    await settleRefund(r.stripeRefundId);
    const [updated] = await until(
      'refund.updated',
      () => eventsFor(r.stripeRefundId, 'refund.updated'),
      (es) => es.length > 0,
    );
    const answers = await Promise.all([
      deliverOverHttp(t, updated),
      deliverOverHttp(other, updated),
      deliverOverHttp(t, updated),
      deliverOverHttp(other, updated),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(await settled(updated.id)).toMatchObject({ status: 'processed', attempts: 1 });
    expect(await query(t.db.url, 'SELECT count(*)::int AS n FROM webhook_events WHERE id = $1', [updated.id])).toEqual([{ n: 1 }]);
    expect((await payment(p.id)).amountRefunded).toBe(900);
  });

  it('a worker killed after claiming: the row is processed once after its lease expires', async () => {
    const p = await createPayment();
    await later();
    await stripe.paymentIntents.confirm(p.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    const [succeeded] = await eventsFor(p.stripePaymentIntentId, 'payment_intent.succeeded');
    // What a worker that died right after its claim leaves behind: processing, attempt 1, a lease about to run out
    // (2 s: long enough that a loaded machine still checks it within the lease, short enough to wait out).
    await query(
      t.db.url,
      `INSERT INTO webhook_events (id, type, livemode, api_version, stripe_created, object_id, payload, status, attempts, locked_until)
       VALUES ($1, $2, false, $3, $4, $5, $6::jsonb, 'processing', 1, now() + interval '2 seconds')`,
      [succeeded.id, succeeded.type, succeeded.api_version, succeeded.created, p.stripePaymentIntentId, JSON.stringify(succeeded)],
    );
    await new Promise((res) => setTimeout(res, 150));
    expect((await inbox(succeeded.id)).status).toBe('processing'); // the lease still holds: nobody steals it
    expect(await settled(succeeded.id)).toMatchObject({ status: 'processed', attempts: 2 });
    expect(await payment(p.id)).toMatchObject({ status: 'succeeded' });
    // Stripe redelivers (the dead worker never answered... or did): still one row, no second processing.
    await deliver(t, succeeded);
    await new Promise((res) => setTimeout(res, 150));
    expect(await inbox(succeeded.id)).toMatchObject({ status: 'processed', attempts: 2 });
  });

  it('an event whose claims never complete (it kills its worker every time) is failed once attempts run out', async () => {
    const e = stripeEvent('customer.updated', { id: 'cus_poison', object: 'customer', email: 'p@example.com', metadata: {} });
    // Three crashed claims already (WEBHOOK_MAX_ATTEMPTS=3), lease expired.
    await query(
      t.db.url,
      `INSERT INTO webhook_events (id, type, livemode, stripe_created, object_id, payload, status, attempts, locked_until)
       VALUES ($1, $2, false, $3, 'cus_poison', $4::jsonb, 'processing', 3, now() - interval '1 second')`,
      [e.id, e.type, e.created, JSON.stringify(e)],
    );
    expect(await settled(e.id)).toMatchObject({ status: 'failed', attempts: 4, last_error: expect.stringMatching(/never completed/) });
  });

  it('an event that arrives before its local row is committed is retried until the row exists', async () => {
    const localId = randomUUID();
    const intent = paymentIntentObject(`pi_race_${localId.slice(0, 8)}`, localId, {
      amount: 1200,
      amount_received: 1200,
      status: 'succeeded',
    });
    const e = stripeEvent('payment_intent.succeeded', intent);
    await deliver(t, e);
    const waiting = await until(
      'a not_yet retry',
      () => inbox(e.id),
      (r) => r.status === 'pending' && r.attempts >= 1,
    );
    expect(waiting.last_error).toMatch(/^not_yet/);
    await query(
      t.db.url,
      `INSERT INTO payments (id, stripe_payment_intent_id, amount, currency, status, capture_method) VALUES ($1, $2, 1200, 'usd', 'requires_payment_method', 'automatic')`,
      [localId, intent.id],
    );
    expect(await settled(e.id)).toMatchObject({ status: 'processed' });
    expect(await payment(localId)).toMatchObject({ status: 'succeeded', amountReceived: 1200 });
  });

  it('not_yet past the deadline -> failed (dead letter)', async () => {
    const e = stripeEvent('payment_intent.succeeded', {
      id: 'pi_never',
      object: 'payment_intent',
      status: 'succeeded',
      metadata: { payments_service_id: randomUUID() },
    });
    await deliver(t, e);
    // Received long ago at once: with WEBHOOK_MAX_ATTEMPTS=3 and 50 ms backoff, waiting for a retry first let a
    // loaded machine spend every attempt before the deadline moved (a timing failure, not a behaviour).
    await query(t.db.url, `UPDATE webhook_events SET received_at = now() - interval '1 hour' WHERE id = $1`, [e.id]);
    expect(await settled(e.id)).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/not_yet.*deadline/) });
  });

  it('foreign objects are recorded and acknowledged, not applied; unknown types are stored without error', async () => {
    const foreign = stripeEvent('payment_intent.succeeded', {
      id: 'pi_not_ours',
      object: 'payment_intent',
      status: 'succeeded',
      amount: 1,
      currency: 'usd',
      metadata: {},
    });
    const unknown = stripeEvent('issuing_card.created', { id: 'ic_123', object: 'issuing.card' });
    expect((await deliver(t, foreign)).statusCode).toBe(200);
    expect((await deliver(t, unknown)).statusCode).toBe(200);
    expect(await settled(foreign.id)).toMatchObject({ status: 'processed', note: expect.stringMatching(/^foreign object/) });
    expect(await settled(unknown.id)).toMatchObject({ status: 'processed', note: 'no handler for issuing_card.created' });
    expect(await query(t.db.url, `SELECT count(*)::int AS n FROM payments WHERE stripe_payment_intent_id = 'pi_not_ours'`)).toEqual([
      { n: 1 - 1 },
    ]);
  });

  it('a failing event is retried with backoff, then failed after WEBHOOK_MAX_ATTEMPTS, without blocking the others; operators can list, read and retry it', async () => {
    const p = await createPayment();
    // Dated after our create's answer by Stripe's clock (the emulator's, moved on by earlier tests), not ours.
    const [{ synced }] = await query<{ synced: string }>(t.db.url, 'SELECT stripe_synced_at AS synced FROM payments WHERE id = $1', [p.id]);
    // A snapshot our row cannot take (no amount): the handler throws on every attempt.
    const broken = stripeEvent(
      'payment_intent.succeeded',
      {
        id: p.stripePaymentIntentId,
        object: 'payment_intent',
        status: 'succeeded',
        amount: null,
        currency: 'usd',
        metadata: { payments_service_id: p.id },
      },
      { created: Number(synced) + 5 },
    );
    const fine = stripeEvent('customer.updated', { id: 'cus_nobody', object: 'customer', email: 'x@example.com', metadata: {} });
    await deliver(t, broken);
    await deliver(t, fine);
    expect(await settled(fine.id)).toMatchObject({ status: 'processed' });
    const dead = await until(
      'the dead letter',
      () => inbox(broken.id),
      (r) => r.status === 'failed',
      10_000,
    );
    expect(dead.attempts).toBe(3);
    expect(dead.last_error).toMatch(/after 3 attempts/);

    const unauthenticated = await t.request({ url: '/v1/webhooks/events?status=failed', apiKey: null });
    expect(unauthenticated.statusCode).toBe(401);
    const list = await t.request({ url: '/v1/webhooks/events?status=failed' });
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((e: { id: string }) => e.id)).toContain(broken.id);
    expect(list.json().data.every((e: { status: string }) => e.status === 'failed')).toBe(true);
    const one = await t.request({ url: `/v1/webhooks/events/${broken.id}` });
    expect(one.json()).toMatchObject({
      id: broken.id,
      status: 'failed',
      attempts: 3,
      type: 'payment_intent.succeeded',
      source: 'webhook',
      payload: broken,
    });
    expect((await t.request({ url: '/v1/webhooks/events/evt_nope' })).statusCode).toBe(404);
    const first = (await t.request({ url: '/v1/webhooks/events?status=processed&limit=2' })).json();
    expect(first.data).toHaveLength(2);
    expect(first.hasMore).toBe(true);
    expect(first.nextCursor).toBe(first.data[1].id);
    expect(first.data[0].payload).toBeUndefined();
    const next = (await t.request({ url: `/v1/webhooks/events?status=processed&limit=2&startingAfter=${first.nextCursor}` })).json();
    expect(next.data.map((e: { id: string }) => e.id)).not.toContain(first.data[0].id);
    expect(next.data.map((e: { id: string }) => e.id)).not.toContain(first.data[1].id);
    expect(new Date(next.data[0].receivedAt).getTime()).toBeLessThanOrEqual(new Date(first.data[1].receivedAt).getTime());
    expect((await t.request({ url: '/v1/webhooks/events?status=bogus' })).statusCode).toBe(400);
    const unknownCursor = await t.request({ url: '/v1/webhooks/events?startingAfter=evt_never_stored' });
    expect({ status: unknownCursor.statusCode, code: unknownCursor.json().code, errors: unknownCursor.json().errors }).toEqual({
      status: 400,
      code: 'invalid_cursor',
      errors: [{ field: 'startingAfter', message: 'unknown id' }],
    });

    const retried = await t.request({ method: 'POST', url: `/v1/webhooks/events/${broken.id}/retry` });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ id: broken.id, status: 'pending', attempts: 0 });
    expect(
      await until(
        'the second dead letter',
        () => inbox(broken.id),
        (r) => r.status === 'failed' && r.attempts === 3,
        10_000,
      ),
    ).toBeTruthy();
    expect((await payment(p.id)).status).toBe('requires_payment_method');
  });

  it('retrying an ignored (other mode) event is refused with 409', async () => {
    const e = stripeEvent('payment_intent.succeeded', { id: 'pi_live', object: 'payment_intent' }, { livemode: true });
    await deliver(t, e);
    expect((await inbox(e.id)).status).toBe('ignored');
    const res = await t.request({ method: 'POST', url: `/v1/webhooks/events/${e.id}/retry` });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('webhook_event_ignored');
  });
});
