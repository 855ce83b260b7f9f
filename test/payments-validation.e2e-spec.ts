import { bootApp, TestApp } from './utils/app';
import { emulatorOf } from './payments-helpers';

describe('payment validation happens before any Stripe call', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  beforeAll(async () => {
    t = await bootApp();
    emulator = emulatorOf(t);
  });
  afterAll(() => t.close());

  it.each([
    ['a negative amount', { amount: -100, currency: 'usd' }, ['amount'], /positive integer/],
    ['a fractional amount', { amount: 10.5, currency: 'usd' }, ['amount'], /positive integer/],
    ['9 digits', { amount: 100_000_000, currency: 'usd' }, ['amount'], /at most 8 digits/],
    ['below the minimum', { amount: 49, currency: 'usd' }, ['amount'], /at least 50/],
    ['below a zero-decimal minimum', { amount: 49, currency: 'jpy' }, ['amount'], /at least 50 \(50 jpy\)/],
    ['a bad currency', { amount: 1000, currency: 'xyz' }, ['currency'], /supported/],
    ['an uppercase currency', { amount: 1000, currency: 'USD' }, ['currency'], /lowercase/],
    ['an unknown field', { amount: 1000, currency: 'usd', colour: 'red' }, ['colour'], /not an accepted field/],
    ['a card number as payment method', { amount: 1000, currency: 'usd', paymentMethod: '4242424242424242' }, ['paymentMethod'], /card/],
    [
      'a card number in the description',
      { amount: 1000, currency: 'usd', description: 'pay with 4000 0566 5566 5556' },
      ['description'],
      /card number/,
    ],
    ['a card number in metadata', { amount: 1000, currency: 'usd', metadata: { note: '5555555555554444' } }, ['metadata'], /card number/],
    [
      'a card number as receipt email',
      { amount: 1000, currency: 'usd', receiptEmail: '4242424242424242@example.com' },
      ['receiptEmail'],
      /card number/,
    ],
    ['our reserved metadata key', { amount: 1000, currency: 'usd', metadata: { payments_service_id: 'x' } }, ['metadata'], /reserved/],
    ['confirm without a payment method', { amount: 1000, currency: 'usd', confirm: true }, ['paymentMethod'], /required/],
  ])('%s -> 400 naming the field', async (_label, payload, fields, message) => {
    await emulator.clearRequests();
    const res = await t.request({ method: 'POST', url: '/v1/payments', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
    expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(fields);
    expect(res.json().errors[0].message).toMatch(message);
    expect(await emulator.requests({ method: 'POST' })).toEqual([]);
  });

  it('never logs or echoes a card number', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: { amount: 1000, currency: 'usd', paymentMethod: '4242424242424242' },
    });
    expect(res.body).not.toContain('4242424242424242');
    expect(JSON.stringify(t.logs)).not.toContain('4242424242424242');
  });

  it('refund and capture amounts are validated too', async () => {
    const refund = await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: 'nope', amount: 0 } });
    expect(
      refund
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['amount', 'paymentId']);
    const capture = await t.request({
      method: 'POST',
      url: '/v1/payments/6f1c1d1e-0000-4000-8000-000000000000/capture',
      payload: { amount: 1e9 },
    });
    expect(capture.json().errors).toEqual([expect.objectContaining({ field: 'amount' })]);
  });

  it('Swagger documents the routes, bodies and error shapes', async () => {
    const doc = (await t.request({ url: '/docs-json', apiKey: null })).json();
    for (const path of [
      '/v1/payments',
      '/v1/payments/{id}',
      '/v1/payments/{id}/confirm',
      '/v1/payments/{id}/capture',
      '/v1/payments/{id}/cancel',
      '/v1/refunds',
      '/v1/refunds/{id}',
      '/v1/customers',
      '/v1/customers/{id}',
      '/v1/config',
    ]) {
      expect(Object.keys(doc.paths[path] ?? {})).not.toHaveLength(0);
    }
    const create = doc.paths['/v1/payments'].post;
    expect(create.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]));
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '402', '409', '422', '429', '502']));
    expect(create.responses['402'].content['application/problem+json'].schema.$ref).toContain('ProblemResponseDto');
    expect(create.responses['402'].content['application/problem+json'].example).toMatchObject({
      code: 'card_declined',
      declineCode: 'insufficient_funds',
    });
    expect(doc.components.schemas.CreatePaymentDto.properties.amount.example).toBe(2000);
  });
});
