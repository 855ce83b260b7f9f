import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { createCustomer, createMonthlyPrice, emulatorOf } from './payments-helpers';

const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\ud800b';

describe('nothing reaches Stripe that we cannot store: central input checks (#10)', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  let customerId: string;
  let paymentId: string;
  let succeededPaymentId: string;
  let authorizedPaymentId: string;
  let priceId: string;

  beforeAll(async () => {
    t = await bootApp();
    emulator = emulatorOf(t);
    priceId = await createMonthlyPrice(t);
    customerId = await createCustomer(t, 'input@example.com');
    const pay = async (payload: object) => {
      const res = await t.request({ method: 'POST', url: '/v1/payments', payload: { amount: 2000, currency: 'usd', ...payload } });
      if (res.statusCode !== 201) throw new Error(`payment: ${res.statusCode} ${res.body}`);
      return res.json().id as string;
    };
    paymentId = await pay({});
    succeededPaymentId = await pay({ paymentMethod: 'pm_card_visa', confirm: true });
    authorizedPaymentId = await pay({ paymentMethod: 'pm_card_visa', confirm: true, captureMethod: 'manual' });
  });
  afterAll(() => t.close());

  // Writes only: reconciliation may read (GET) in the background.
  const stripeWrites = async () => (await emulator.requests()).filter((r) => r.method !== 'GET');

  type Case = [route: string, field: string, method: 'POST' | 'PATCH', url: () => string, base: () => object];
  const cases: Case[] = [];
  const add = (route: string, method: Case[2], url: () => string, base: () => object, fields: string[]) =>
    fields.forEach((field) => cases.push([route, field, method, url, base]));
  add(
    'POST /v1/customers',
    'POST',
    () => '/v1/customers',
    () => ({ email: 'x@example.com' }),
    ['email', 'name', 'phone', 'description', 'metadata.note'],
  );
  add(
    'PATCH /v1/customers/:id',
    'PATCH',
    () => `/v1/customers/${customerId}`,
    () => ({}),
    ['email', 'name', 'phone', 'description', 'metadata.note'],
  );
  add(
    'POST /v1/payments',
    'POST',
    () => '/v1/payments',
    () => ({ amount: 1000, currency: 'usd' }),
    ['description', 'receiptEmail', 'paymentMethod', 'returnUrl', 'currency', 'customerId', 'captureMethod', 'metadata.note'],
  );
  add(
    'POST /v1/payments/:id/confirm',
    'POST',
    () => `/v1/payments/${paymentId}/confirm`,
    () => ({}),
    ['paymentMethod', 'returnUrl'],
  );
  add(
    'POST /v1/payments/:id/cancel',
    'POST',
    () => `/v1/payments/${paymentId}/cancel`,
    () => ({}),
    ['reason'],
  );
  add(
    'POST /v1/refunds',
    'POST',
    () => '/v1/refunds',
    () => ({ paymentId: succeededPaymentId }),
    ['paymentId', 'reason', 'metadata.note'],
  );
  add(
    'POST /v1/subscriptions',
    'POST',
    () => '/v1/subscriptions',
    () => ({ customerId, priceId }),
    ['customerId', 'priceId', 'paymentMethod', 'metadata.note'],
  );

  const bodyWith = (base: object, field: string, value: string) => {
    const [top, nested] = field.split('.');
    return { ...base, [top]: nested ? { [nested]: value } : value };
  };

  describe.each([
    ['a NUL character', NUL, /NUL/],
    ['a lone UTF-16 surrogate', LONE_SURROGATE, /surrogate/],
  ])('%s', (_label, value, message) => {
    it.each(cases)('%s, in %s -> 400 naming the field, no Stripe call', async (_route, field, method, url, base) => {
      await emulator.clearRequests();
      const res = await t.request({
        method,
        url: url(),
        payload: bodyWith(base(), field, value),
        headers: { 'idempotency-key': `k-${field}-${Math.random()}` },
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field, message: expect.stringMatching(message) }] });
      expect(await stripeWrites()).toEqual([]);
    });

    it('in a metadata key -> 400 naming metadata, no Stripe call', async () => {
      await emulator.clearRequests();
      const res = await t.request({
        method: 'POST',
        url: '/v1/customers',
        payload: { email: 'k@example.com', metadata: { [value]: 'v' } },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ field: 'metadata', message: expect.stringMatching(message) }]);
      expect(await stripeWrites()).toEqual([]);
    });

    it('in a query string and in a path id -> 400, not 500', async () => {
      const encoded = encodeURIComponent(value === NUL ? value : 'a') + (value === NUL ? '' : '%ED%A0%80');
      const listed = await t.request({ url: `/v1/customers?email=${encoded}` });
      expect(listed.statusCode).toBe(400);
      if (value === NUL) {
        expect(listed.json().errors).toEqual([{ field: 'email', message: expect.stringMatching(message) }]);
        for (const url of ['/v1/webhooks/events/%00', '/v1/payments/%00', '/v1/customers/a%00b']) {
          const res = await t.request({ url });
          expect({ url, status: res.statusCode, type: res.headers['content-type'] }).toEqual({
            url,
            status: 400,
            type: expect.stringMatching(/^application\/problem\+json/),
          });
          expect(res.json().errors).toEqual([{ field: 'id', message: expect.stringMatching(/NUL/) }]);
        }
      }
    });
  });

  it('the reported case: a NUL description with an Idempotency-Key charges nothing, leaves no row, and the key stays usable', async () => {
    await emulator.clearRequests();
    const payload = { amount: 4321, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true, description: NUL };
    const headers = { 'idempotency-key': 'nul-case' };
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await t.request({ method: 'POST', url: '/v1/payments', payload, headers });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ field: 'description', message: expect.stringMatching(/NUL/) }]);
    }
    expect(await stripeWrites()).toEqual([]);
    expect(await query(t.db.url, 'SELECT id FROM payments WHERE amount = 4321')).toEqual([]);
    const fixed = await t.request({ method: 'POST', url: '/v1/payments', payload: { ...payload, description: 'ab' }, headers });
    expect(fixed.statusCode).toBe(201);
    expect(fixed.json()).toMatchObject({ status: 'succeeded', description: 'ab' });
  });

  describe('explicit null is not absence', () => {
    it('amount: null on a refund -> 400 naming amount; nothing refunded', async () => {
      await emulator.clearRequests();
      const res = await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: succeededPaymentId, amount: null } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'validation_failed',
        errors: [{ field: 'amount', message: expect.stringMatching(/null/) }],
      });
      expect(await stripeWrites()).toEqual([]);
      expect((await t.request({ url: `/v1/payments/${succeededPaymentId}` })).json()).toMatchObject({
        status: 'succeeded',
        amountRefunded: 0,
      });
      expect(await query(t.db.url, 'SELECT id FROM refunds WHERE payment_id = $1', [succeededPaymentId])).toEqual([]);
    });

    it('amount: null on a capture -> 400 naming amount; nothing captured', async () => {
      await emulator.clearRequests();
      const res = await t.request({ method: 'POST', url: `/v1/payments/${authorizedPaymentId}/capture`, payload: { amount: null } });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ field: 'amount', message: expect.stringMatching(/null/) }]);
      expect(await stripeWrites()).toEqual([]);
      expect((await t.request({ url: `/v1/payments/${authorizedPaymentId}` })).json()).toMatchObject({
        status: 'requires_capture',
        amountReceived: 0,
      });
    });

    it.each([
      ['POST /v1/payments', '/v1/payments', { amount: 1000, currency: 'usd', description: null }, 'description'],
      ['POST /v1/customers', '/v1/customers', { email: 'n@example.com', name: null }, 'name'],
      ['POST /v1/customers metadata value', '/v1/customers', { email: 'n@example.com', metadata: { a: null } }, 'metadata.a'],
      ['POST /v1/subscriptions', '/v1/subscriptions', { customerId: 'x', priceId: 'price_x', quantity: null }, 'quantity'],
    ])('%s with a null -> 400 naming the field', async (_route, url, payload, field) => {
      const res = await t.request({ method: 'POST', url, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toContainEqual({ field, message: expect.stringMatching(/null/) });
    });
  });

  describe('bounded nesting, checked on the raw body before parsing', () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    const send = (payload: string) =>
      t.request({ method: 'POST', url: '/v1/customers', payload, headers: { 'content-type': 'application/json' } });

    it('32 levels pass the bound (then fail validation as usual); 33 -> 400 too_deep', async () => {
      const ok = await send(`{"email":"d@example.com","metadata":${nested(31)}}`);
      expect(ok.statusCode).toBe(400);
      expect(ok.json().code).toBe('validation_failed');
      const deep = await send(`{"email":"d@example.com","metadata":${nested(32)}}`);
      expect(deep.statusCode).toBe(400);
      expect(deep.json()).toMatchObject({ code: 'too_deep', status: 400 });
    });

    it('10,000 levels (the reported 500) and 150,000 levels (~0.9 MB, under the body limit) -> 400 too_deep; brackets inside strings do not count', async () => {
      for (const field of ['description', 'name', 'metadata']) {
        const res = await send(`{"email":"d@example.com","${field}":${nested(10_000)}}`);
        expect(res.statusCode).toBe(400);
        expect(res.json().code).toBe('too_deep');
      }
      expect((await send(`{"email":"d@example.com","description":${'{"a":'.repeat(150_000)}1${'}'.repeat(150_000)}}`)).json().code).toBe(
        'too_deep',
      );
      const quoted = await send(JSON.stringify({ email: 'q@example.com', description: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[[[' }));
      expect(quoted.statusCode).toBe(201);
    });
  });
});
