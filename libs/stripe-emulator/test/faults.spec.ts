import Stripe from 'stripe';
import { client, useEmulator } from './helpers';

const h = useEmulator();

async function requests(path = '/v1/customers', method = 'POST') {
  const log = (await h.control('GET', '/requests')).body.data as any[];
  return log.filter((r) => r.path === path && r.method === method);
}

describe('Fault injection and SDK retries', () => {
  let stripe: Stripe;
  beforeAll(() => {
    stripe = client(h.emulator, h.emulator.secretKey, { maxNetworkRetries: 2 });
  });
  beforeEach(() => h.reset());

  it('500 once: the SDK retries with the same key and one object is created', async () => {
    const fault = await h.control('POST', '/faults', { count: 1, method: 'POST', path: '/v1/customers', status: 500 });
    expect(fault.status).toBe(201);
    expect(fault.body.id).toMatch(/^fault_/);
    const customer = await stripe.customers.create({ email: 'retry@example.com' });
    expect(customer.email).toBe('retry@example.com');
    const log = await requests();
    expect(log.map((r) => [r.status, r.faulted, r.replayed])).toEqual([
      [500, true, false],
      [200, false, false],
    ]);
    expect(log[0].idempotencyKey).toMatch(/^stripe-node-retry-/);
    expect(log[1].idempotencyKey).toBe(log[0].idempotencyKey);
    expect((await stripe.customers.list()).data).toHaveLength(1);
  });

  it('persistent 500 surfaces as StripeAPIError after 3 attempts', async () => {
    await h.control('POST', '/faults', {
      count: 5,
      path: '/v1/customers',
      status: 500,
      error: { type: 'api_error', message: 'Injected outage' },
    });
    const err = await stripe.customers.create({}).catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err.message).toBe('Injected outage');
    expect(await requests()).toHaveLength(3);
    await h.control('DELETE', '/faults');
    expect((await stripe.customers.list()).data).toHaveLength(0);
  });

  it('429 is not retried unless Stripe-Should-Retry says so', async () => {
    await h.control('POST', '/faults', { count: 1, path: '/v1/customers', status: 429 });
    const err = await stripe.customers.create({}).catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(await requests()).toHaveLength(1);

    await h.control('DELETE', '/requests');
    await h.control('POST', '/faults', {
      count: 1,
      path: '/v1/customers',
      status: 429,
      headers: { 'Stripe-Should-Retry': 'true' },
    });
    await stripe.customers.create({});
    expect((await requests()).map((r) => r.status)).toEqual([429, 200]);
  });

  it('Stripe-Should-Retry: false stops the retry of a 500', async () => {
    await h.control('POST', '/faults', {
      count: 1,
      path: '/v1/customers',
      status: 503,
      headers: { 'Stripe-Should-Retry': 'false' },
    });
    const err = await stripe.customers.create({}).catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err.statusCode).toBe(503);
    expect(await requests()).toHaveLength(1);
  });

  it('402 fault is a StripeCardError', async () => {
    await h.control('POST', '/faults', { path: '/v1/payment_intents', status: 402 });
    const err = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }).catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.decline_code).toBe('generic_decline');
    expect((await stripe.paymentIntents.list()).data).toHaveLength(0);
  });

  it('drop is a StripeConnectionError; with afterExecute the work is done and a retry replays it', async () => {
    await h.control('POST', '/faults', { count: 3, path: '/v1/customers', drop: true });
    const err = await stripe.customers.create({}).catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(await requests()).toHaveLength(3);
    expect((await stripe.customers.list()).data).toHaveLength(0);

    await h.reset();
    await h.control('POST', '/faults', {
      count: 1,
      path: '/v1/payment_intents',
      method: 'POST',
      drop: true,
      afterExecute: true,
    });
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    expect(pi.status).toBe('succeeded');
    const log = await requests('/v1/payment_intents');
    expect(log.map((r) => [r.faulted, r.replayed])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect((await stripe.paymentIntents.list()).data.map((p) => p.id)).toEqual([pi.id]);
    expect((await stripe.charges.list()).data).toHaveLength(1);
  });

  it('afterExecute 500: the SDK retry gets the saved success', async () => {
    await h.control('POST', '/faults', { path: '/v1/refunds', status: 500, afterExecute: true });
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 100 });
    expect(refund.amount).toBe(100);
    expect((await stripe.refunds.list()).data).toHaveLength(1);
    expect((await requests('/v1/refunds')).map((r) => [r.status, r.replayed])).toEqual([
      [500, false],
      [200, true],
    ]);
  });

  it('latency alone only slows the answer', async () => {
    await h.control('POST', '/faults', { path: '/v1/customers', method: 'GET', latencyMs: 200 });
    const started = Date.now();
    await stripe.customers.list();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect((await requests('/v1/customers', 'GET')).map((r) => [r.status, r.faulted])).toEqual([[200, true]]);
  });
});
