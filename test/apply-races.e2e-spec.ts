import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { startStripeEmulator, StripeEmulator } from '@app/stripe-emulator';
import { mirrorHooks } from '../src/common/mirror/mirror-hooks';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { deliver as deliverTo, ownEmulatorEnv } from './utils/webhook-delivery';
import { until } from './utils/wait';

// #10 finding 4: an event that is applied while its row is being created must never end `processed`
// without its effect. The interleaving that lost it (the apply looks for the row and finds none, THEN the
// creating INSERT commits, THEN the apply decides) is forced with a hook, not with timing.
describe('apply and create of the same Stripe object are serialised: the effect always lands', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let t: TestApp;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ asyncDelayMs: 600_000 });
    stripe = new Stripe(emulator.secretKey, { host: '127.0.0.1', port: emulator.port, protocol: 'http' });
    t = await bootApp({ env: ownEmulatorEnv(emulator) });
  });
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });
  afterEach(() => {
    delete mirrorHooks.afterLookup;
  });

  const deliver = (event: unknown) => deliverTo(t, event);
  async function eventOf(objectId: string, type: string): Promise<Stripe.Event> {
    for await (const e of stripe.events.list({ limit: 100 }))
      if ((e.data.object as { id?: string }).id === objectId && e.type === type) return e;
    throw new Error(`no ${type} for ${objectId}`);
  }
  const settled = (eventId: string) =>
    until(
      `event ${eventId} to settle`,
      () => query<{ status: string; attempts: number }>(t.db.url, 'SELECT status, attempts FROM webhook_events WHERE id = $1', [eventId]),
      (rows) => ['processed', 'failed'].includes(rows[0]?.status),
    );

  /** The creating INSERT commits right after the apply's lookup found no row: the old window. Returns how often it fired. */
  function createDuringApply(table: string, stripeId: string, insert: () => Promise<unknown>): { fired: number } {
    const state = { fired: 0 };
    mirrorHooks.afterLookup = async (tbl, id, found) => {
      if (tbl !== table || id !== stripeId || found || state.fired) return;
      state.fired++;
      await insert();
    };
    return state;
  }

  it('payments: payment_intent.succeeded applied while the row is being created', async () => {
    const localId = randomUUID();
    const intent = await stripe.paymentIntents.create({
      amount: 2100,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: { payments_service_id: localId },
    });
    const hook = createDuringApply('payments', intent.id, () =>
      query(
        t.db.url,
        `INSERT INTO payments (id, stripe_payment_intent_id, amount, currency, status, capture_method) VALUES ($1, $2, 2100, 'usd', 'requires_payment_method', 'automatic')`,
        [localId, intent.id],
      ),
    );
    const event = await eventOf(intent.id, 'payment_intent.succeeded');
    expect((await deliver(event)).statusCode).toBe(200);
    expect((await settled(event.id))[0].status).toBe('processed');
    expect(hook.fired).toBe(1);
    expect((await t.request({ url: `/v1/payments/${localId}` })).json()).toMatchObject({ status: 'succeeded', amountReceived: 2100 });
  });

  it('refunds: refund.created applied while the reservation is being written', async () => {
    const paymentId = randomUUID();
    const intent = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      metadata: { payments_service_id: paymentId },
    });
    await query(
      t.db.url,
      `INSERT INTO payments (id, stripe_payment_intent_id, amount, amount_received, currency, status, capture_method) VALUES ($1, $2, 3000, 3000, 'usd', 'succeeded', 'automatic')`,
      [paymentId, intent.id],
    );
    const refundId = randomUUID();
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 1200, metadata: { payments_service_id: refundId } });
    const hook = createDuringApply('refunds', refund.id, () =>
      query(t.db.url, `INSERT INTO refunds (id, payment_id, amount, currency, status) VALUES ($1, $2, 1200, 'usd', 'pending')`, [
        refundId,
        paymentId,
      ]),
    );
    const event = await eventOf(refund.id, 'refund.created');
    expect((await deliver(event)).statusCode).toBe(200);
    expect((await settled(event.id))[0].status).toBe('processed');
    expect(hook.fired).toBe(1);
    expect((await t.request({ url: `/v1/refunds/${refundId}` })).json()).toMatchObject({
      stripeRefundId: refund.id,
      status: refund.status,
    });
    expect((await t.request({ url: `/v1/payments/${paymentId}` })).json()).toMatchObject({ amountRefunded: 1200 });
  });

  it('subscriptions: customer.subscription.updated applied while the row is being created', async () => {
    const customer = await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'race@example.com' } });
    const { id: customerId, stripeCustomerId } = customer.json() as { id: string; stripeCustomerId: string };
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 700,
      recurring: { interval: 'month' },
      product_data: { name: 'R' },
    });
    const localId = randomUUID();
    const sub = await stripe.subscriptions.create({
      customer: stripeCustomerId,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
      metadata: { payments_service_id: localId },
    });
    expect(sub.status).toBe('active');
    const hook = createDuringApply('subscriptions', sub.id, () =>
      query(
        t.db.url,
        `INSERT INTO subscriptions (id, stripe_subscription_id, customer_id, status, price_id, quantity) VALUES ($1, $2, $3, 'incomplete', $4, 1)`,
        [localId, sub.id, customerId, price.id],
      ),
    );
    const event = await eventOf(sub.id, 'customer.subscription.created');
    expect((await deliver(event)).statusCode).toBe(200);
    expect((await settled(event.id))[0].status).toBe('processed');
    expect(hook.fired).toBe(1);
    expect((await t.request({ url: `/v1/subscriptions/${localId}` })).json()).toMatchObject({ status: 'active' });
  });
});
