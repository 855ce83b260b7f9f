import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { StripeContext } from '@app/stripe';
import { emulatorOf } from './payments-helpers';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { signedDelivery, stripeEvent } from './utils/stripe-signing';
import { until } from './utils/wait';

// #10 "orphans are adopted, never left behind": a Stripe object carrying our id whose creating call lost
// its answer (Stripe executed it, then every SDK attempt lost the connection) becomes a row under that id,
// through the webhook or through reconciliation; the caller's retry with the same Idempotency-Key answers it.
describe('orphans at Stripe are adopted under our id', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  let stripe: Stripe;
  let endpointId: string;
  beforeAll(async () => {
    // Sandbox: the in-process emulator delivers its webhooks to this app. Adopt at once (no grace) for the test.
    t = await bootApp({
      env: { WEBHOOK_WORKER_POLL_MS: '100', WEBHOOK_ADOPT_AFTER_SECONDS: '0', RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'warn' },
    });
    emulator = emulatorOf(t);
    const url = new URL(emulator.url);
    stripe = new Stripe('sk_test_emulator', { host: url.hostname, port: Number(url.port), protocol: 'http' });
    endpointId = (await stripe.webhookEndpoints.list()).data.find((e) => e.url === `${t.url}/v1/webhooks/stripe`)!.id;
  });
  afterEach(async () => {
    await emulator.clearFaults();
    await stripe.webhookEndpoints.update(endpointId, { disabled: false });
  });
  afterAll(() => t?.close());

  const post = (url: string, key: string, payload: object) =>
    t.request({ method: 'POST', url, payload, headers: { 'idempotency-key': key } });
  /** Stripe executes the create, then every SDK attempt (1 + 2 retries) loses its connection. */
  const loseEveryAnswer = (path: string) => emulator.fault({ count: 3, method: 'POST', path, drop: true, afterExecute: true });
  const operationOf = async (key: string) =>
    (await query<{ id: string }>(t.db.url, `SELECT id FROM idempotency_keys WHERE key = $1`, [key]))[0].id;
  const rowAppears = (url: string) =>
    until(
      `${url} to be adopted`,
      async () => (await t.request({ url })).statusCode,
      (status) => status === 200,
    );

  it('payments, by webhook: 502, adopted, the same-key retry answers 201 with that id, one intent at Stripe', async () => {
    const key = randomUUID();
    await loseEveryAnswer('/v1/payment_intents');
    const body = { amount: 1900, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true };
    expect((await post('/v1/payments', key, body)).statusCode).toBe(502);
    const id = await operationOf(key);
    await rowAppears(`/v1/payments/${id}`);
    expect((await t.request({ url: `/v1/payments/${id}` })).json()).toMatchObject({ status: 'succeeded', amount: 1900 });
    const retry = await post('/v1/payments', key, body);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toMatchObject({ id, status: 'succeeded' });
    expect((await emulator.intents()).filter((i) => i.metadata.payments_service_id === id)).toHaveLength(1);
    const types = await query<{ type: string }>(t.db.url, `SELECT type FROM domain_events WHERE object_id = $1 ORDER BY seq`, [id]);
    expect(types.map((r) => r.type)).toEqual(['payment.created', 'payment.succeeded']);
  });

  it('payments, by reconciliation with the webhook endpoint disabled', async () => {
    await stripe.webhookEndpoints.update(endpointId, { disabled: true });
    const key = randomUUID();
    await loseEveryAnswer('/v1/payment_intents');
    const body = { amount: 2300, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true };
    expect((await post('/v1/payments', key, body)).statusCode).toBe(502);
    const id = await operationOf(key);
    expect((await t.request({ url: `/v1/payments/${id}` })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: '/v1/admin/reconcile' })).statusCode).toBe(200);
    await rowAppears(`/v1/payments/${id}`);
    const retry = await post('/v1/payments', key, body);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toMatchObject({ id, status: 'succeeded', amount: 2300 });
    expect((await emulator.intents()).filter((i) => i.metadata.payments_service_id === id)).toHaveLength(1);
  });

  it('customers and subscriptions, by webhook', async () => {
    const customerKey = randomUUID();
    await loseEveryAnswer('/v1/customers');
    expect((await post('/v1/customers', customerKey, { email: 'orphan@example.com' })).statusCode).toBe(502);
    const customerId = await operationOf(customerKey);
    await rowAppears(`/v1/customers/${customerId}`);
    const customer = await post('/v1/customers', customerKey, { email: 'orphan@example.com' });
    expect(customer.statusCode).toBe(201);
    expect(customer.json()).toMatchObject({ id: customerId, email: 'orphan@example.com' });
    const atStripe = (await stripe.customers.list({ limit: 100 })).data.filter((c) => c.metadata.payments_service_id === customerId);
    expect(atStripe).toHaveLength(1);

    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1100,
      recurring: { interval: 'month' },
      product_data: { name: 'O' },
    });
    const subKey = randomUUID();
    const body = { customerId, priceId: price.id, paymentMethod: 'pm_card_visa' };
    await loseEveryAnswer('/v1/subscriptions');
    expect((await post('/v1/subscriptions', subKey, body)).statusCode).toBe(502);
    const subId = await operationOf(subKey);
    await rowAppears(`/v1/subscriptions/${subId}`);
    const sub = await post('/v1/subscriptions', subKey, body);
    expect(sub.statusCode).toBe(201);
    expect(sub.json()).toMatchObject({ id: subId, status: 'active', customerId });
    const subs = (await stripe.subscriptions.list({ limit: 100 })).data.filter((s) => s.metadata.payments_service_id === subId);
    expect(subs).toHaveLength(1);
  });

  it('refunds: a refund at Stripe whose reservation is gone is adopted by its webhook', async () => {
    const paid = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: { amount: 5000, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true },
    });
    const payment = paid.json() as { id: string; stripePaymentIntentId: string };
    // Another path created it with our id (an operator, or a reservation released too early): no row here.
    const refundId = randomUUID();
    await stripe.refunds.create({
      payment_intent: payment.stripePaymentIntentId,
      amount: 1500,
      metadata: { payments_service_id: refundId },
    });
    await rowAppears(`/v1/refunds/${refundId}`);
    expect((await t.request({ url: `/v1/refunds/${refundId}` })).json()).toMatchObject({ paymentId: payment.id, amount: 1500 });
    await until(
      'the payment to count the refund',
      async () => (await t.request({ url: `/v1/payments/${payment.id}` })).json().amountRefunded,
      (n) => n === 1500,
    );
  });

  it('mirrored text PostgreSQL cannot store (a NUL written by another integration) is stored cleaned, not dead-lettered', async () => {
    const paid = await t.request({ method: 'POST', url: '/v1/payments', payload: { amount: 700, currency: 'usd' } });
    const p = paid.json() as { id: string; stripePaymentIntentId: string };
    const intent = await stripe.paymentIntents.retrieve(p.stripePaymentIntentId);
    const event = stripeEvent(
      'payment_intent.succeeded',
      { ...intent, status: 'succeeded', amount_received: 700, description: 'gift\u0000card' },
      { created: Math.floor(Date.now() / 1000) + 60 },
    );
    const secrets = t.app.get(StripeContext).webhookSecrets; // the sandbox endpoint's secret
    const res = await t.request({ method: 'POST', url: '/v1/webhooks/stripe', apiKey: null, ...signedDelivery(event, secrets) });
    expect(res.statusCode).toBe(200);
    const [row] = await until(
      'the event to settle',
      () => query<{ status: string }>(t.db.url, `SELECT status FROM webhook_events WHERE id = $1`, [event.id]),
      (rows) => ['processed', 'failed'].includes(rows[0]?.status),
    );
    expect(row.status).toBe('processed');
    expect((await t.request({ url: `/v1/payments/${p.id}` })).json()).toMatchObject({ status: 'succeeded', description: 'giftcard' });
  });
});
