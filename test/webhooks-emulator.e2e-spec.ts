import { bootApp, TestApp } from './utils/app';
import { until } from './utils/wait';
import { query } from './utils/database';
import Stripe from 'stripe';
import { createCustomer, emulatorOf } from './payments-helpers';

// Sandbox mode: the app starts the emulator in-process and registers /v1/webhooks/stripe with it, so
// every effect below reaches the local rows only through a signed delivery (no ?sync, no polling of Stripe).
describe('webhooks through the emulator alone', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  beforeAll(async () => {
    t = await bootApp({ env: { WEBHOOK_WORKER_POLL_MS: '100', RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'warn' } });
    emulator = emulatorOf(t);
  });
  afterAll(() => t?.close());

  const payment = async (id: string) => (await t.request({ url: `/v1/payments/${id}` })).json();
  const later = () => emulator.later();

  it('3-D Secure completed at the bank reaches the local payment by webhook', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: { amount: 3100, currency: 'eur', paymentMethod: 'pm_card_authenticationRequired', confirm: true },
    });
    expect(created.statusCode).toBe(201);
    const p = created.json();
    expect(p.status).toBe('requires_action');
    expect(p.nextAction).not.toBeNull();

    await later();
    const challenge = await emulator.threeDSecure(p.stripePaymentIntentId, 'success');
    expect(challenge.status).toBeLessThan(400);
    const done = await until(
      'the payment to succeed',
      () => payment(p.id),
      (x) => x.status === 'succeeded',
    );
    expect(done).toMatchObject({ status: 'succeeded', amountReceived: 3100, nextAction: null });

    // Applied first, marked processed a moment later.
    const rows = await until(
      'the event marked processed',
      () =>
        query<{ type: string; status: string; source: string }>(
          t.db.url,
          `SELECT type, status, source FROM webhook_events WHERE object_id = $1`,
          [p.stripePaymentIntentId],
        ),
      (rs) => rs.some((r) => r.type === 'payment_intent.succeeded' && r.status === 'processed'),
    );
    expect(rows).toEqual(expect.arrayContaining([{ type: 'payment_intent.succeeded', status: 'processed', source: 'webhook' }]));
    const deliveries = (await (await fetch(`${emulator.url}/_emulator/webhook_deliveries`)).json()) as {
      data: Array<{ type: string; status: number }>;
    };
    expect(deliveries.data.filter((d) => d.type === 'payment_intent.succeeded').every((d) => d.status === 200)).toBe(true);
  });

  it('a refund that fails days later (pm_card_refundFail) reaches the local refund and payment by webhook', async () => {
    const p = (
      await t.request({
        method: 'POST',
        url: '/v1/payments',
        payload: { amount: 4200, currency: 'usd', paymentMethod: 'pm_card_refundFail', confirm: true },
      })
    ).json();
    expect(p.status).toBe('succeeded');
    const created = await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: p.id, amount: 4200 } });
    expect(created.statusCode).toBe(201);
    const r = created.json();
    expect(r.status).toBe('pending');
    // The emulator fails it ~1 s later; Stripe takes days. Without moving its clock on, the failure can land in
    // the same second as our answer's Date header and be discarded by the refunds guard (reported).
    await later();
    expect((await payment(p.id)).amountRefunded).toBe(4200);

    const failed = await until(
      'the refund to fail',
      async () => (await t.request({ url: `/v1/refunds/${r.id}` })).json(),
      (x) => x.status === 'failed',
    );
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'expired_or_canceled_card' });
    expect((await payment(p.id)).amountRefunded).toBe(0);
    // The row can be final before every event about it is marked processed (the later ones are then stale).
    const refundEvents = await until(
      'every refund event processed',
      () =>
        query<{ type: string; status: string }>(t.db.url, `SELECT type, status FROM webhook_events WHERE object_id = $1`, [
          r.stripeRefundId,
        ]),
      (es) => es.length >= 3 && es.every((e) => e.status === 'processed'),
    );
    expect(refundEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['refund.created', 'refund.updated', 'refund.failed']));
  });

  it('a renewal that fails at Stripe turns the local subscription past_due by webhook (no ?sync)', async () => {
    const { hostname, port } = new URL(emulator.url);
    const stripe = new Stripe('sk_test_emulator', { host: hostname, port: Number(port), protocol: 'http' });
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 900,
      recurring: { interval: 'month' },
      product_data: { name: 'Basic' },
    });
    const customerId = await createCustomer(t, 'renewal@example.com');
    const created = await t.request({
      method: 'POST',
      url: '/v1/subscriptions',
      payload: { customerId, priceId: price.id, paymentMethod: 'pm_card_visa' },
    });
    expect(created.statusCode).toBe(201);
    const sub = created.json();
    expect(sub.status).toBe('active');

    await later();
    const advanced = await fetch(`${emulator.url}/_emulator/subscriptions/${sub.stripeSubscriptionId}/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'fail' }),
    });
    expect(advanced.status).toBe(200);
    const pastDue = await until(
      'past_due by webhook',
      async () => (await t.request({ url: `/v1/subscriptions/${sub.id}` })).json(),
      (x) => x.status === 'past_due' && x.latestInvoice?.status === 'open',
    );
    expect(pastDue.latestInvoice).toMatchObject({ status: 'open', amountDue: 900 });
    expect(pastDue.latestInvoice.id).not.toBe(sub.latestInvoice.id);
    const types = await query<{ type: string; status: string }>(t.db.url, `SELECT type, status FROM webhook_events WHERE object_id = $1`, [
      sub.stripeSubscriptionId,
    ]);
    expect(types).toEqual(expect.arrayContaining([{ type: 'customer.subscription.updated', status: 'processed' }]));
  });
});
