import type Stripe from 'stripe';
import { randomUUID } from 'node:crypto';
import { CustomersService } from '../src/customers/customers.service';
import { PaymentsService } from '../src/payments/payments.service';
import { RefundsService } from '../src/refunds/refunds.service';
import { paymentIntentObject } from './payments-helpers';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';

// The stripe-sync contract: apply* is order-safe whatever feeds it (webhooks, reconciliation, ?sync=true).
describe('apply* (stripe-sync contract): out-of-order, duplicate and foreign objects', () => {
  let t: TestApp;
  let payments: PaymentsService;
  let refunds: RefundsService;
  let customers: CustomersService;
  beforeAll(async () => {
    // No webhook worker: these tests feed apply* themselves.
    t = await bootApp({ env: { WEBHOOK_WORKER_ENABLED: 'false' } });
    payments = t.app.get(PaymentsService);
    refunds = t.app.get(RefundsService);
    customers = t.app.get(CustomersService);
  });
  afterAll(() => t.close());

  const now = () => Math.floor(Date.now() / 1000);
  const createPayment = async (payload: object = { amount: 1000, currency: 'usd' }) =>
    (await t.request({ method: 'POST', url: '/v1/payments', payload })).json();
  const intentOf = (p: { id: string; stripePaymentIntentId: string }, fields: Partial<Stripe.PaymentIntent>): Stripe.PaymentIntent =>
    ({ ...paymentIntentObject(p.stripePaymentIntentId, p.id), latest_charge: undefined, ...fields }) as unknown as Stripe.PaymentIntent;
  const stored = async (id: string) => (await t.request({ url: `/v1/payments/${id}` })).json();

  it('applies a newer event, skips an older one, and never leaves succeeded', async () => {
    const p = await createPayment();
    const later = now() + 10;
    expect(await payments.applyStripePaymentIntent(intentOf(p, { status: 'requires_action' }), { eventCreated: later })).toBe('applied');
    expect((await stored(p.id)).status).toBe('requires_action');
    expect(await payments.applyStripePaymentIntent(intentOf(p, { status: 'requires_confirmation' }), { eventCreated: later - 1 })).toBe(
      'stale',
    );
    expect(
      await payments.applyStripePaymentIntent(intentOf(p, { status: 'succeeded', amount_received: 1000 }), { eventCreated: later + 1 }),
    ).toBe('applied');
    expect(await payments.applyStripePaymentIntent(intentOf(p, { status: 'requires_payment_method' }), { eventCreated: later + 5 })).toBe(
      'stale',
    );
    expect(await payments.applyStripePaymentIntent(intentOf(p, { status: 'canceled' }))).toBe('stale'); // even a fresh retrieve
    expect(await stored(p.id)).toMatchObject({ status: 'succeeded', amountReceived: 1000 });
  });

  it('same second: a status later in the normal order wins, an earlier one is settled by asking Stripe; events older than our own fresh answer are skipped', async () => {
    const p = await createPayment();
    // Our own create stored Stripe's answer time (its Date header, which can lag the local clock by a second):
    // an event older than that answer is older news. Read it rather than guess it from the local clock.
    const [{ synced }] = await query<{ synced: string }>(t.db.url, `SELECT stripe_synced_at AS synced FROM payments WHERE id = $1`, [p.id]);
    expect(
      await payments.applyStripePaymentIntent(intentOf(p, { status: 'requires_confirmation' }), { eventCreated: Number(synced) - 1 }),
    ).toBe('stale');
    const t0 = now() + 20;
    expect(
      await payments.applyStripePaymentIntent(intentOf(p, { status: 'requires_capture', amount_capturable: 1000 }), { eventCreated: t0 }),
    ).toBe('applied');
    // An earlier status of the same second is not proof of older news (a failed 3-D Secure moves requires_action
    // back to requires_payment_method within a second): Stripe is asked, and its copy (this payment was never
    // confirmed there) is what the row now holds.
    expect(await payments.applyStripePaymentIntent(intentOf(p, { status: 'requires_action' }), { eventCreated: t0 })).toBe('applied');
    expect((await stored(p.id)).status).toBe('requires_payment_method');
  });

  it('not_yet for our id without a row, foreign without our id; finds a row by Stripe id without metadata', async () => {
    const ghost = { id: randomUUID(), stripePaymentIntentId: 'pi_ghost' };
    expect(await payments.applyStripePaymentIntent(intentOf(ghost, {}), { eventCreated: now() })).toBe('not_yet');
    expect(await payments.applyStripePaymentIntent(intentOf(ghost, { metadata: {} }), { eventCreated: now() })).toBe('foreign');
    const p = await createPayment();
    expect(
      await payments.applyStripePaymentIntent(intentOf(p, { metadata: {}, status: 'requires_action' }), { eventCreated: now() + 30 }),
    ).toBe('applied');
  });

  it('refunds: succeeded may still become failed; failed is final; amountRefunded follows', async () => {
    const paid = await createPayment({ amount: 2000, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true });
    const refund = (await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: paid.id, amount: 800 } })).json();
    expect((await stored(paid.id)).amountRefunded).toBe(800);
    const base = {
      id: refund.stripeRefundId,
      object: 'refund',
      amount: 800,
      currency: 'usd',
      reason: null,
      metadata: { payments_service_id: refund.id },
    };
    const t0 = now() + 40;
    expect(
      await refunds.applyStripeRefund(
        { ...base, status: 'failed', failure_reason: 'expired_or_canceled_card' } as unknown as Stripe.Refund,
        { eventCreated: t0 },
      ),
    ).toBe('applied');
    expect((await t.request({ url: `/v1/refunds/${refund.id}` })).json()).toMatchObject({
      status: 'failed',
      failureReason: 'expired_or_canceled_card',
    });
    expect((await stored(paid.id)).amountRefunded).toBe(0);
    expect(await refunds.applyStripeRefund({ ...base, status: 'succeeded' } as unknown as Stripe.Refund, { eventCreated: t0 + 1 })).toBe(
      'stale',
    );
  });

  it('customers: deletion is final and kept as a tombstone; foreign customers are reported', async () => {
    const c = (await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'sync@example.com' } })).json();
    const live = {
      id: c.stripeCustomerId,
      object: 'customer',
      email: 'new@example.com',
      name: null,
      phone: null,
      description: null,
      metadata: { payments_service_id: c.id },
    } as unknown as Stripe.Customer;
    expect(await customers.applyStripeCustomer(live, { eventCreated: now() + 50 })).toBe('applied');
    expect((await t.request({ url: `/v1/customers/${c.id}` })).json().email).toBe('new@example.com');
    expect(
      await customers.applyStripeCustomer({ id: c.stripeCustomerId, object: 'customer', deleted: true } as Stripe.DeletedCustomer, {
        eventCreated: now() + 51,
      }),
    ).toBe('applied');
    expect(await customers.applyStripeCustomer(live, { eventCreated: now() + 60 })).toBe('stale');
    expect((await t.request({ url: `/v1/customers/${c.id}` })).json().deletedAt).toEqual(expect.any(String));
    expect(
      await customers.applyStripeCustomer({ ...live, id: 'cus_other', metadata: {} } as Stripe.Customer, { eventCreated: now() }),
    ).toBe('foreign');
  });

  it('syncFromStripe retrieves and applies (used by ?sync=true and reconciliation)', async () => {
    const p = await createPayment();
    expect(await payments.syncFromStripe(p.id)).toBe('applied');
  });
  it('an event from the same second as our last Stripe answer is settled by asking Stripe, not by guessing', async () => {
    // The decline's fresh answer and the intent's earlier "created" event share one second: the stale
    // requires_confirmation snapshot must not undo the decline, and Stripe's truth wins either way.
    const declined = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: { amount: 1500, currency: 'usd', paymentMethod: 'pm_card_visa_chargeDeclinedInsufficientFunds', confirm: true },
    });
    expect(declined.statusCode).toBe(402);
    const id = declined.json().paymentId;
    const [row] = await query<{ stripe_synced_at: string; stripe_payment_intent_id: string }>(
      t.db.url,
      'SELECT stripe_synced_at, stripe_payment_intent_id FROM payments WHERE id = $1',
      [id],
    );
    const staleCreated = intentOf(
      { id, stripePaymentIntentId: row.stripe_payment_intent_id },
      { status: 'requires_confirmation', amount: 1500 },
    );
    expect(await payments.applyStripePaymentIntent(staleCreated, { eventCreated: Number(row.stripe_synced_at) })).toBe('applied');
    expect(await stored(id)).toMatchObject({ status: 'requires_payment_method', lastPaymentError: { declineCode: 'insufficient_funds' } });
  });
});
