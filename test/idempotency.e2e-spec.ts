import { randomUUID } from 'node:crypto';
import { query } from './utils/database';
import { bootApp, OTHER_API_KEY, TestApp } from './utils/app';
import { emulatorOf } from './payments-helpers';

describe('Idempotency-Key on our API (stored in PostgreSQL)', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  beforeAll(async () => {
    t = await bootApp();
    emulator = emulatorOf(t);
  });
  afterAll(() => t.close());

  const create = (key: string, payload: object = { amount: 1200, currency: 'usd' }, apiKey?: string) =>
    t.request({ method: 'POST', url: '/v1/payments', payload, headers: { 'idempotency-key': key }, ...(apiKey ? { apiKey } : {}) });
  const intentCreations = async () => (await emulator.requests({ method: 'POST' })).filter((r) => r.path === '/v1/payment_intents');

  it('same key and body: the first response is replayed (status, body, Idempotent-Replayed) and Stripe is called once', async () => {
    await emulator.clearRequests();
    const key = randomUUID();
    const first = await create(key);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const second = await create(key);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.headers['content-type']).toContain('application/json');
    expect(second.json()).toEqual(first.json());
    expect(await intentCreations()).toHaveLength(1);
    // The local row id is the operation id, and the Stripe key derives from it.
    const [row] = await query(t.db.url, `SELECT id, status, response_status FROM idempotency_keys WHERE key = $1`, [key]);
    expect(row).toEqual({ id: first.json().id, status: 'completed', response_status: 201 });
    expect((await intentCreations())[0].idempotencyKey).toBe(`payments.create:${first.json().id}`);
  });

  it('same key with a different body -> 422; another API key has its own key space', async () => {
    const key = randomUUID();
    expect((await create(key)).statusCode).toBe(201);
    const reused = await create(key, { amount: 1300, currency: 'usd' });
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ code: 'idempotency_key_reused' });
    const other = await create(key, { amount: 1300, currency: 'usd' }, OTHER_API_KEY);
    expect(other.statusCode).toBe(201);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
  });

  it('two concurrent requests with one key -> one Stripe object; the loser gets 409 (or the replay)', async () => {
    await emulator.fault({ count: 1, method: 'POST', path: '/v1/payment_intents', latencyMs: 400 });
    await emulator.clearRequests();
    const key = randomUUID();
    const [a, b] = await Promise.all([create(key), create(key)]);
    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses[0]).toBe(201);
    expect([201, 409]).toContain(statuses[1]);
    const loser = a.statusCode === 409 ? a : b;
    if (loser.statusCode === 409) expect(loser.json()).toMatchObject({ code: 'idempotency_request_in_progress' });
    expect(await intentCreations()).toHaveLength(1);
    const winner = a.statusCode === 201 ? a : b;
    const intents = (await emulator.intents()).filter((i) => i.metadata.payments_service_id === winner.json().id);
    expect(intents).toHaveLength(1);
    const later = await create(key);
    expect(later.headers['idempotent-replayed']).toBe('true');
    expect(later.json().id).toBe(winner.json().id);
  });

  it('a definitive error (402 decline) is replayed as it was', async () => {
    const key = randomUUID();
    const payload = { amount: 1200, currency: 'usd', paymentMethod: 'pm_card_visa_chargeDeclined', confirm: true };
    const first = await create(key, payload);
    expect(first.statusCode).toBe(402);
    const again = await create(key, payload);
    expect(again.statusCode).toBe(402);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json()).toEqual(first.json());
  });

  it('a request refused by validation does not burn the key: the corrected request runs', async () => {
    const key = randomUUID();
    expect((await create(key, { amount: -1, currency: 'usd' })).statusCode).toBe(400);
    const fixed = await create(key, { amount: 1000, currency: 'usd' });
    expect(fixed.statusCode).toBe(201);
  });

  it('keys longer than 255 characters -> 400', async () => {
    const res = await create('k'.repeat(256));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'invalid_idempotency_key' });
  });

  it('holds across two service instances sharing the database', async () => {
    const second = await bootApp({ db: t.db });
    try {
      const key = randomUUID();
      await emulator.fault({ count: 1, method: 'POST', path: '/v1/payment_intents', latencyMs: 400 });
      const slow = create(key);
      await new Promise((r) => setTimeout(r, 150));
      const meanwhile = await second.request({
        method: 'POST',
        url: '/v1/payments',
        payload: { amount: 1200, currency: 'usd' },
        headers: { 'idempotency-key': key },
      });
      expect(meanwhile.statusCode).toBe(409);
      const first = await slow;
      expect(first.statusCode).toBe(201);
      const replay = await second.request({
        method: 'POST',
        url: '/v1/payments',
        payload: { amount: 1200, currency: 'usd' },
        headers: { 'idempotency-key': key },
      });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json()).toEqual(first.json());
    } finally {
      await second.close();
    }
  });

  it('a crashed owner (lease expired, still in progress) is taken over, and the retry converges on the same objects', async () => {
    const key = randomUUID();
    const first = await create(key);
    // Simulate a crash after Stripe answered and the row was written, before the record was completed.
    await query(
      t.db.url,
      `UPDATE idempotency_keys SET status = 'in_progress', response_status = NULL, response_text = NULL, locked_until = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    await emulator.clearRequests();
    const retry = await create(key);
    expect(retry.statusCode).toBe(201);
    expect(retry.json().id).toBe(first.json().id);
    expect(retry.json().stripePaymentIntentId).toBe(first.json().stripePaymentIntentId);
    expect((await intentCreations()).every((r) => r.replayed)).toBe(true);
  });
});
