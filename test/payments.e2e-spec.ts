import Stripe from 'stripe';
import { Client } from 'pg';
import { mirrorHooks } from '../src/common/mirror/mirror-hooks';
import { query } from './utils/database';
import { until } from './utils/wait';
import { bootApp, TestApp } from './utils/app';
import { createCustomer, emulatorOf } from './payments-helpers';

describe('payments and refunds (real PostgreSQL, emulator over HTTP, real SDK)', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  let customerId: string;
  beforeAll(async () => {
    t = await bootApp();
    emulator = emulatorOf(t);
    customerId = await createCustomer(t);
  });
  afterAll(() => t.close());

  const post = (url: string, payload: object = {}, headers: Record<string, string> = {}) =>
    t.request({ method: 'POST', url, payload, headers });
  const get = (url: string) => t.request({ url });

  it('full flow: create -> confirm pm_card_visa -> succeeded -> partial refund -> refund the rest -> a third refund is 409 without a Stripe call', async () => {
    const created = await post('/v1/payments', {
      amount: 2000,
      currency: 'usd',
      customerId,
      description: 'Order 1',
      metadata: { orderId: '1' },
    });
    expect(created.statusCode).toBe(201);
    const payment = created.json();
    expect(payment).toMatchObject({
      customerId,
      amount: 2000,
      amountCapturable: 0,
      amountReceived: 0,
      amountRefunded: 0,
      currency: 'usd',
      status: 'requires_payment_method',
      captureMethod: 'automatic',
      nextAction: null,
      lastPaymentError: null,
      metadata: { orderId: '1' },
    });
    expect(payment.stripePaymentIntentId).toMatch(/^pi_/);
    expect(payment.clientSecret).toMatch(/_secret_/);
    const intent = await emulator.object(payment.stripePaymentIntentId);
    expect(intent.metadata).toEqual({ orderId: '1', payments_service_id: payment.id });
    expect(intent.customer).toMatch(/^cus_/);

    const confirmed = await post(`/v1/payments/${payment.id}/confirm`, { paymentMethod: 'pm_card_visa' });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ status: 'succeeded', amountReceived: 2000 });

    const partial = await post('/v1/refunds', { paymentId: payment.id, amount: 500, reason: 'requested_by_customer' });
    expect(partial.statusCode).toBe(201);
    expect(partial.json()).toMatchObject({
      paymentId: payment.id,
      amount: 500,
      currency: 'usd',
      status: 'succeeded',
      reason: 'requested_by_customer',
      failureReason: null,
    });
    expect(partial.json().stripeRefundId).toMatch(/^re_/);
    expect((await emulator.object(partial.json().stripeRefundId)).metadata).toEqual({ payments_service_id: partial.json().id });
    expect((await get(`/v1/payments/${payment.id}`)).json().amountRefunded).toBe(500);

    const rest = await post('/v1/refunds', { paymentId: payment.id });
    expect(rest.statusCode).toBe(201);
    expect(rest.json()).toMatchObject({ amount: 1500, status: 'succeeded' });
    expect((await get(`/v1/payments/${payment.id}`)).json()).toMatchObject({
      status: 'succeeded',
      amountReceived: 2000,
      amountRefunded: 2000,
    });

    await emulator.clearRequests();
    const third = await post('/v1/refunds', { paymentId: payment.id, amount: 1 });
    expect(third.statusCode).toBe(409);
    expect(third.json()).toMatchObject({ code: 'payment_fully_refunded' });
    expect(await emulator.requests({ method: 'POST' })).toEqual([]);

    const list = (await get(`/v1/refunds?paymentId=${payment.id}`)).json();
    expect(list.data.map((r: { amount: number }) => r.amount)).toEqual([1500, 500]);
    expect((await get(`/v1/refunds/${partial.json().id}`)).json()).toEqual(partial.json());
  });

  it('refunding more than what is left -> 409 without a Stripe call', async () => {
    const paid = await post('/v1/payments', { amount: 1000, currency: 'eur', paymentMethod: 'pm_card_visa', confirm: true });
    expect(paid.json().status).toBe('succeeded');
    await emulator.clearRequests();
    const res = await post('/v1/refunds', { paymentId: paid.json().id, amount: 1001 });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'refund_exceeds_refundable', refundableAmount: 1000 });
    expect(await emulator.requests({ method: 'POST' })).toEqual([]);
  });

  it('concurrent refunds never exceed what was received (the payment row is locked while reserving)', async () => {
    const paid = (await post('/v1/payments', { amount: 1000, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true })).json();
    const results = await Promise.all(Array.from({ length: 5 }, () => post('/v1/refunds', { paymentId: paid.id, amount: 300 })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 201, 201, 409, 409]);
    expect((await get(`/v1/payments/${paid.id}`)).json().amountRefunded).toBe(900);
    const charge = await emulator.object((await emulator.object(paid.stripePaymentIntentId)).latest_charge);
    expect(charge.amount_refunded).toBe(900);
  });

  it("a refund's write and a worker batch holding the same payment take their locks in one order (no deadlock)", async () => {
    const paid = (await post('/v1/payments', { amount: 1000, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true })).json();
    // The other side: a transaction that, like a worker batch that applied another refund of this payment,
    // holds the payment and then wants this refund's row. Started inside our create's write, once that write
    // has locked its refund row; the barrier is PostgreSQL reporting the other side waiting for a lock.
    const other = new Client({ connectionString: t.db.url });
    await other.connect();
    let otherSide: Promise<unknown> | undefined;
    mirrorHooks.afterLookup = async (table, stripeId) => {
      if (table !== 'refunds' || otherSide) return;
      const pid = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      otherSide = (async () => {
        await other.query('BEGIN');
        await other.query('SELECT 1 FROM payments WHERE id = $1 FOR UPDATE', [paid.id]);
        await other.query('SELECT 1 FROM refunds WHERE stripe_refund_id = $1 FOR UPDATE', [stripeId]);
        await other.query('COMMIT');
      })();
      otherSide.catch(() => undefined); // awaited below; a deadlock victim rejects it
      await until(
        'the other side waiting for a lock',
        () => query(t.db.url, `SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]),
        (rows) => rows[0]?.wait_event_type === 'Lock',
      );
    };
    try {
      const refund = await post('/v1/refunds', { paymentId: paid.id, amount: 300 });
      expect(refund.statusCode).toBe(201);
      await expect(otherSide).resolves.toBeUndefined();
    } finally {
      delete mirrorHooks.afterLookup;
      await other.end();
    }
  });

  it.each([
    ['pm_card_visa_chargeDeclined', 'generic_decline'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ])(
    'decline (%s): 402 with declineCode, stored as requires_payment_method with lastPaymentError; pm_card_visa then succeeds',
    async (pm, declineCode) => {
      const created = (await post('/v1/payments', { amount: 1500, currency: 'usd', customerId })).json();
      const declined = await post(`/v1/payments/${created.id}/confirm`, { paymentMethod: pm });
      expect(declined.statusCode).toBe(402);
      expect(declined.headers['content-type']).toContain('application/problem+json');
      expect(declined.json()).toMatchObject({ status: 402, code: 'card_declined', declineCode, paymentId: created.id });
      expect(declined.json().stripeRequestId).toMatch(/^req_/);

      const stored = (await get(`/v1/payments/${created.id}`)).json();
      expect(stored).toMatchObject({ status: 'requires_payment_method', lastPaymentError: { code: 'card_declined', declineCode } });
      expect(stored.lastPaymentError.message).toEqual(expect.any(String));

      const retried = await post(`/v1/payments/${created.id}/confirm`, { paymentMethod: 'pm_card_visa' });
      expect(retried.statusCode).toBe(200);
      expect(retried.json()).toMatchObject({ status: 'succeeded', lastPaymentError: null, amountReceived: 1500 });
    },
  );

  it('a decline on create with confirm still stores the payment and names it in the 402', async () => {
    const res = await post('/v1/payments', {
      amount: 1500,
      currency: 'usd',
      paymentMethod: 'pm_card_visa_chargeDeclinedInsufficientFunds',
      confirm: true,
    });
    expect(res.statusCode).toBe(402);
    const [row] = await query(t.db.url, 'SELECT status, last_payment_error FROM payments WHERE id = $1', [res.json().paymentId]);
    expect(row).toMatchObject({ status: 'requires_payment_method', last_payment_error: { declineCode: 'insufficient_funds' } });
  });

  it('a decline made at Stripe (the browser) in the very second of our create answer still reaches the row by webhook', async () => {
    // Stripe's clock held: our create's answer and the decline's event share one second on purpose. The decline
    // keeps the status our answer stored (requires_payment_method), so `created` cannot order them: the event
    // must be checked with Stripe, not dropped as stale.
    await emulator.holdClock(true);
    try {
      const created = await post('/v1/payments', { amount: 1700, currency: 'usd', customerId });
      expect(created.json()).toMatchObject({ status: 'requires_payment_method', lastPaymentError: null });
      const { id, stripePaymentIntentId } = created.json();
      const [{ synced }] = await query(t.db.url, 'SELECT stripe_synced_at AS synced FROM payments WHERE id = $1', [id]);
      const { hostname, port } = new URL(emulator.url);
      const stripe = new Stripe('sk_test_browser', { host: hostname, port: Number(port), protocol: 'http' });
      const declined = await stripe.paymentIntents
        .confirm(stripePaymentIntentId, { payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds' })
        .catch((e: Stripe.errors.StripeError) => e);
      expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
      const [event] = (await stripe.events.list({ type: 'payment_intent.payment_failed', limit: 10 })).data.filter(
        (e) => (e.data.object as Stripe.PaymentIntent).id === stripePaymentIntentId,
      );
      expect(event.created).toBe(Number(synced));
      const payment = await until(
        'decline mirrored by webhook',
        async () => (await get(`/v1/payments/${id}`)).json(),
        (p) => p.lastPaymentError !== null,
        30_000,
      );
      expect(payment).toMatchObject({ status: 'requires_payment_method', lastPaymentError: { declineCode: 'insufficient_funds' } });
    } finally {
      await emulator.holdClock(false);
    }
  });

  it('3-D Secure: requires_action with nextAction; after authentication GET ?sync=true -> succeeded', async () => {
    const created = (await post('/v1/payments', { amount: 3000, currency: 'gbp', customerId })).json();
    const confirmed = await post(`/v1/payments/${created.id}/confirm`, {
      paymentMethod: 'pm_card_authenticationRequired',
      returnUrl: 'https://shop.example.com/done',
    });
    expect(confirmed.statusCode).toBe(200);
    const body = confirmed.json();
    expect(body.status).toBe('requires_action');
    expect(body.nextAction).toMatchObject({
      type: 'redirect_to_url',
      redirectToUrl: { url: expect.stringContaining('/3ds/'), returnUrl: 'https://shop.example.com/done' },
    });

    const page = await emulator.threeDSecure(body.stripePaymentIntentId, 'success');
    expect([200, 302]).toContain(page.status);
    expect((await get(`/v1/payments/${created.id}`)).json().status).toBe('requires_action'); // stored state, no Stripe call
    const synced = await get(`/v1/payments/${created.id}?sync=true`);
    expect(synced.json()).toMatchObject({ status: 'succeeded', nextAction: null, amountReceived: 3000 });
  });

  it('manual capture: authorize, capture part (rest released), refuse capture and cancel in the wrong state without a Stripe call', async () => {
    const created = await post('/v1/payments', {
      amount: 5000,
      currency: 'usd',
      captureMethod: 'manual',
      paymentMethod: 'pm_card_visa',
      confirm: true,
    });
    expect(created.json()).toMatchObject({
      status: 'requires_capture',
      amountCapturable: 5000,
      amountReceived: 0,
      captureMethod: 'manual',
    });
    const id = created.json().id;

    await emulator.clearRequests();
    const tooMuch = await post(`/v1/payments/${id}/capture`, { amount: 5001 });
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.json().errors).toEqual([expect.objectContaining({ field: 'amount' })]);
    expect(await emulator.requests({ method: 'POST' })).toEqual([]);

    const captured = await post(`/v1/payments/${id}/capture`, { amount: 3000 });
    expect(captured.statusCode).toBe(200);
    expect(captured.json()).toMatchObject({ status: 'succeeded', amountReceived: 3000, amountCapturable: 0 });

    await emulator.clearRequests();
    const again = await post(`/v1/payments/${id}/capture`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'payment_not_capturable', paymentStatus: 'succeeded' });
    const cancel = await post(`/v1/payments/${id}/cancel`, {});
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json()).toMatchObject({ code: 'payment_not_cancelable' });
    expect(await emulator.requests({ method: 'POST' })).toEqual([]);

    const refund = await post('/v1/refunds', { paymentId: id });
    expect(refund.json()).toMatchObject({ amount: 3000, status: 'succeeded' });
  });

  it('cancel: allowed before success (requires_payment_method, requires_capture), then final', async () => {
    const open = (await post('/v1/payments', { amount: 1000, currency: 'usd' })).json();
    const canceled = await post(`/v1/payments/${open.id}/cancel`, { reason: 'requested_by_customer' });
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json().status).toBe('canceled');

    const held = (
      await post('/v1/payments', { amount: 1000, currency: 'usd', captureMethod: 'manual', paymentMethod: 'pm_card_visa', confirm: true })
    ).json();
    expect((await post(`/v1/payments/${held.id}/cancel`, {})).json()).toMatchObject({ status: 'canceled', amountCapturable: 0 });

    await emulator.clearRequests();
    expect((await post(`/v1/payments/${open.id}/confirm`, { paymentMethod: 'pm_card_visa' })).statusCode).toBe(409);
    expect((await post(`/v1/payments/${open.id}/cancel`, {})).statusCode).toBe(409);
    expect((await post('/v1/refunds', { paymentId: open.id })).json()).toMatchObject({ code: 'payment_not_refundable' });
    expect(await emulator.requests({ method: 'POST' })).toEqual([]);
  });

  it('lists by customer and status; zero-decimal amounts go to Stripe as they are', async () => {
    const yen = await post('/v1/payments', { amount: 500, currency: 'jpy', customerId, paymentMethod: 'pm_card_visa', confirm: true });
    expect(yen.statusCode).toBe(201);
    expect((await emulator.object(yen.json().stripePaymentIntentId)).amount).toBe(500);
    const list = (await get(`/v1/payments?customerId=${customerId}&status=succeeded&limit=100`)).json();
    expect(list.data.length).toBeGreaterThan(0);
    expect(list.data.every((p: { customerId: string; status: string }) => p.customerId === customerId && p.status === 'succeeded')).toBe(
      true,
    );
    expect(list.data[0].id).toBe(yen.json().id);
  });

  it('unknown payment -> 404; unknown customer -> 400 without a Stripe call; deleted customer -> 409', async () => {
    expect((await get('/v1/payments/6f1c1d1e-0000-4000-8000-000000000000')).statusCode).toBe(404);
    await emulator.clearRequests();
    const unknown = await post('/v1/payments', { amount: 1000, currency: 'usd', customerId: '6f1c1d1e-0000-4000-8000-000000000000' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'customer_not_found', errors: [{ field: 'customerId' }] });
    expect(await emulator.requests({ method: 'POST' })).toEqual([]);
    const gone = await createCustomer(t, 'gone@example.com');
    await t.request({ method: 'DELETE', url: `/v1/customers/${gone}` });
    expect((await post('/v1/payments', { amount: 1000, currency: 'usd', customerId: gone })).json()).toMatchObject({
      status: 409,
      code: 'customer_deleted',
    });
  });

  it('never logs client secrets', async () => {
    const res = await post('/v1/payments', { amount: 1000, currency: 'usd' });
    expect(JSON.stringify(t.logs)).not.toContain(res.json().clientSecret);
  });
});
