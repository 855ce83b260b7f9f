import { randomUUID } from 'node:crypto';
import { RefundsService } from '../src/refunds/refunds.service';
import { query } from './utils/database';
import { bootApp, TestApp } from './utils/app';
import { emulatorOf } from './payments-helpers';

describe('Stripe faults (injected by the emulator, seen through the real SDK)', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  beforeAll(async () => {
    t = await bootApp();
    emulator = emulatorOf(t);
  });
  afterEach(() => emulator.clearFaults());
  afterAll(() => t.close());

  const create = (key: string, payload: object = { amount: 1200, currency: 'usd' }) =>
    t.request({ method: 'POST', url: '/v1/payments', payload, headers: { 'idempotency-key': key } });
  const intentsFor = async (localId: string) => (await emulator.intents()).filter((i) => i.metadata.payments_service_id === localId);

  it('a 500 then success: the SDK retries with the same Stripe key, one intent', async () => {
    await emulator.clearRequests();
    await emulator.fault({ count: 1, method: 'POST', path: '/v1/payment_intents', status: 500 });
    const res = await create(randomUUID());
    expect(res.statusCode).toBe(201);
    const calls = (await emulator.requests({ method: 'POST' })).filter((r) => r.path === '/v1/payment_intents');
    expect(calls.map((c) => c.status)).toEqual([500, 200]);
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(await intentsFor(res.json().id)).toHaveLength(1);
  });

  it('Stripe failing every attempt after executing -> 502 (outcome unknown); the same request and key after recovery -> 201 with exactly one intent', async () => {
    const key = randomUUID();
    await emulator.fault({ count: 3, method: 'POST', path: '/v1/payment_intents', status: 500, afterExecute: true });
    const failed = await create(key);
    expect(failed.statusCode).toBe(502);
    expect(failed.json()).toMatchObject({ code: 'stripe_unavailable' });
    expect(failed.json().detail).toMatch(/outcome is unknown.*same Idempotency-Key/);
    expect(failed.json().stripeRequestId).toMatch(/^req_/);
    const [record] = await query<{ id: string; status: string; locked_until: Date | null }>(
      t.db.url,
      `SELECT id, status, locked_until FROM idempotency_keys WHERE key = $1`,
      [key],
    );
    expect(record).toMatchObject({ status: 'in_progress', locked_until: null });

    const recovered = await create(key);
    expect(recovered.statusCode).toBe(201);
    expect(recovered.json().id).toBe(record.id);
    expect(await intentsFor(record.id)).toHaveLength(1);
    expect((await query(t.db.url, `SELECT count(*)::int AS n FROM payments WHERE id = $1`, [record.id]))[0].n).toBe(1);
  });

  it('a dropped connection on every attempt -> 502; the retry converges', async () => {
    const key = randomUUID();
    await emulator.fault({ count: 3, method: 'POST', path: '/v1/payment_intents', drop: true });
    const failed = await create(key);
    expect(failed.statusCode).toBe(502);
    expect(failed.json()).toMatchObject({ code: 'stripe_unavailable' });
    const recovered = await create(key);
    expect(recovered.statusCode).toBe(201);
    expect(await intentsFor(recovered.json().id)).toHaveLength(1);
  });

  it('429 from Stripe -> 429 with Retry-After, and the key stays usable', async () => {
    const key = randomUUID();
    await emulator.fault({ count: 1, method: 'POST', path: '/v1/payment_intents', status: 429, headers: { 'Retry-After': '3' } });
    const limited = await create(key);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('3');
    expect(limited.json()).toMatchObject({ code: 'stripe_rate_limited' });
    expect((await create(key)).statusCode).toBe(201);
  });

  it('an authentication failure -> 502 configuration error, logged as an error, no key anywhere', async () => {
    await emulator.fault({
      count: 1,
      method: 'POST',
      path: '/v1/payment_intents',
      status: 401,
      error: { type: 'authentication_error', message: 'Invalid API Key provided: sk_test_****ator' },
    });
    const res = await create(randomUUID());
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ code: 'stripe_configuration_error' });
    expect(res.body).not.toMatch(/sk_(test|live)_/);
    expect(t.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        context: 'Stripe',
        requestId: res.json().requestId,
        msg: expect.stringMatching(/refused our credentials \(HTTP 401\)/),
      }),
    );
    // Every line the service writes while handling the request carries its id, the error filter's too.
    expect(t.logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'Request failed', requestId: res.json().requestId }));
    expect(JSON.stringify(t.logs)).not.toMatch(/sk_test_emulator|sk_test_\*+ator/);
  });

  it('a refund whose outcome is unknown keeps its reservation; the retry with the same key makes exactly one refund', async () => {
    const paid = (await create(randomUUID(), { amount: 2000, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true })).json();
    const key = randomUUID();
    await emulator.fault({ count: 3, method: 'POST', path: '/v1/refunds', status: 503, afterExecute: true });
    const refund = (headers = { 'idempotency-key': key }) =>
      t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: paid.id, amount: 1500 }, headers });
    expect((await refund()).statusCode).toBe(502);
    // Kept: still a bare reservation, or already completed by the refund.created webhook (it finds the row by our id in metadata).
    const reserved = await query<{ amount: string; status: string; stripe_refund_id: string | null }>(
      t.db.url,
      `SELECT amount, status, stripe_refund_id FROM refunds WHERE payment_id = $1`,
      [paid.id],
    );
    expect(reserved).toHaveLength(1);
    expect(reserved[0].amount).toBe('1500');
    expect(['pending', 'succeeded']).toContain(reserved[0].status);
    // The reservation holds the amount: another refund cannot take it meanwhile.
    const other = await refund({ 'idempotency-key': randomUUID() });
    expect(other.json()).toMatchObject({ status: 409, code: 'refund_exceeds_refundable', refundableAmount: 500 });

    const done = await refund();
    expect(done.statusCode).toBe(201);
    expect(done.json()).toMatchObject({ amount: 1500, status: 'succeeded' });
    const refundsInStripe = (await emulator.requests({ method: 'POST' })).filter(
      (r) => r.path === '/v1/refunds' && !r.replayed && !r.faulted,
    );
    expect(refundsInStripe.filter((r) => r.idempotencyKey === `refunds.create:${done.json().id}`)).toHaveLength(0); // executed only under the faulted first call
    const charge = await emulator.object((await emulator.object(paid.stripePaymentIntentId)).latest_charge);
    expect(charge.amount_refunded).toBe(1500);
    expect((await t.request({ url: `/v1/payments/${paid.id}` })).json().amountRefunded).toBe(1500);
  });

  it('a reservation whose refund never reached Stripe is released by sync once it is old and unclaimed', async () => {
    const paid = (await create(randomUUID(), { amount: 2000, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true })).json();
    await emulator.fault({ count: 3, method: 'POST', path: '/v1/refunds', status: 500 });
    const failed = await t.request({
      method: 'POST',
      url: '/v1/refunds',
      payload: { paymentId: paid.id },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(failed.statusCode).toBe(502);
    const [{ id }] = await query<{ id: string }>(t.db.url, `SELECT id FROM refunds WHERE payment_id = $1`, [paid.id]);
    const refunds = t.app.get(RefundsService);
    expect(await refunds.syncFromStripe(id)).toBe('not_yet'); // too young: a retry may be on its way
    await query(t.db.url, `UPDATE refunds SET created_at = now() - interval '11 minutes' WHERE id = $1`, [id]);
    expect(await refunds.syncFromStripe(id)).toBe('applied');
    expect(await query(t.db.url, `SELECT id FROM refunds WHERE payment_id = $1`, [paid.id])).toEqual([]);
    expect((await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: paid.id } })).json()).toMatchObject({
      amount: 2000,
      status: 'succeeded',
    });
  });

  it('a refund Stripe refuses releases its reservation', async () => {
    const paid = (await create(randomUUID(), { amount: 2000, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true })).json();
    await emulator.fault({
      count: 1,
      method: 'POST',
      path: '/v1/refunds',
      status: 400,
      error: { type: 'invalid_request_error', code: 'charge_already_refunded', message: 'Charge has already been refunded.' },
    });
    const res = await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: paid.id, amount: 2000 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'charge_already_refunded', stripeRequestId: expect.stringMatching(/^req_/) });
    expect(await query(t.db.url, `SELECT id FROM refunds WHERE payment_id = $1`, [paid.id])).toEqual([]);
    expect((await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: paid.id } })).statusCode).toBe(201);
  });
});
