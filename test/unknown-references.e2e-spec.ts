import { createCustomer, createMonthlyPrice, emulatorOf } from './payments-helpers';
import { bootApp, TestApp } from './utils/app';

// One rule (README "Errors"): an id in a request body that names nothing is 400 naming the field, on every
// route; 404 is only for the id in the URL.
describe('unknown ids in request bodies: 400 naming the field, on every route (#15)', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  let customerId: string;
  let priceId: string;
  let paymentId: string;
  const NOBODY = '6f1c1d1e-0000-4000-8000-000000000000';

  beforeAll(async () => {
    t = await bootApp();
    emulator = emulatorOf(t);
    priceId = await createMonthlyPrice(t, 900);
    customerId = await createCustomer(t, 'references@example.com');
    const paid = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: { amount: 1500, currency: 'usd', customerId, paymentMethod: 'pm_card_visa', confirm: true },
    });
    expect(paid.json()).toMatchObject({ status: 'succeeded' });
    paymentId = paid.json().id;
  });
  afterAll(() => t.close());

  // Ours are checked before any Stripe call; Stripe's (price, payment method) are what Stripe says is missing.
  const cases: Array<[string, string, string, string, () => Record<string, unknown>, boolean]> = [
    [
      'POST /v1/payments',
      'customerId',
      'customer_not_found',
      '/v1/payments',
      () => ({ amount: 1000, currency: 'usd', customerId: NOBODY }),
      true,
    ],
    [
      'POST /v1/payments',
      'paymentMethod',
      'stripe_resource_missing',
      '/v1/payments',
      () => ({ amount: 1000, currency: 'usd', paymentMethod: 'pm_nonexistent123', confirm: true }),
      false,
    ],
    ['POST /v1/subscriptions', 'customerId', 'customer_not_found', '/v1/subscriptions', () => ({ customerId: NOBODY, priceId }), true],
    [
      'POST /v1/subscriptions',
      'priceId',
      'stripe_resource_missing',
      '/v1/subscriptions',
      () => ({ customerId, priceId: 'price_nonexistent123', paymentMethod: 'pm_card_visa' }),
      false,
    ],
    ['POST /v1/setup-intents', 'customerId', 'customer_not_found', '/v1/setup-intents', () => ({ customerId: NOBODY }), true],
    ['POST /v1/refunds', 'paymentId', 'payment_not_found', '/v1/refunds', () => ({ paymentId: NOBODY }), true],
  ];

  it.each(cases)('%s with an unknown %s -> 400 %s', async (_route, field, code, url, body, noStripeWrite) => {
    await emulator.clearRequests();
    const res = await t.request({ method: 'POST', url, payload: body() });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, code, errors: [{ field }] });
    if (noStripeWrite) expect(await emulator.requests({ method: 'POST' })).toEqual([]);
  });

  it('PATCH /v1/customers/:id with an unknown defaultPaymentMethod -> 400 naming it; an unknown id in the URL stays 404', async () => {
    const res = await t.request({
      method: 'PATCH',
      url: `/v1/customers/${customerId}`,
      payload: { defaultPaymentMethod: 'pm_nonexistent123' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'stripe_resource_missing', errors: [{ field: 'defaultPaymentMethod' }] });
    expect((await t.request({ url: `/v1/customers/${NOBODY}` })).statusCode).toBe(404);
    expect((await t.request({ url: `/v1/payments/${NOBODY}` })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: `/v1/payments/${NOBODY}/capture`, payload: {} })).statusCode).toBe(404);
    // The known ones still work: the rule is about what is missing, not about the route.
    expect((await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId, amount: 500 } })).statusCode).toBe(201);
  });
});
