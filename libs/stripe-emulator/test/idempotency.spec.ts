import Stripe from 'stripe';
import { useEmulator } from './helpers';

const h = useEmulator();

function rawPost(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${h.emulator.url}${path}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${h.emulator.secretKey}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body,
  });
}

describe('Idempotency', () => {
  beforeEach(() => h.reset());

  it('replays the first response with Idempotent-Replayed, creating nothing new', async () => {
    const first = await rawPost('/v1/customers', 'email=a%40example.com&metadata[k]=v', { 'Idempotency-Key': 'key-1' });
    const second = await rawPost('/v1/customers', 'email=a%40example.com&metadata[k]=v', {
      'Idempotency-Key': 'key-1',
    });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('request-id')).toMatch(/^req_/);
    expect(await second.text()).toBe(await first.text());
    expect((await h.stripe.customers.list()).data).toHaveLength(1);

    const viaSdk = await h.stripe.customers.create(
      { email: 'a@example.com', metadata: { k: 'v' } },
      { idempotencyKey: 'key-1' },
    );
    expect(viaSdk.lastResponse.headers['idempotent-replayed']).toBe('true');
  });

  it('replays errors too, with their status', async () => {
    const pi = await h.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const once = await h.stripe.paymentIntents
      .confirm(pi.id, { payment_method: 'pm_card_chargeDeclined' }, { idempotencyKey: 'decline' })
      .catch((e) => e);
    const twice = await h.stripe.paymentIntents
      .confirm(pi.id, { payment_method: 'pm_card_chargeDeclined' }, { idempotencyKey: 'decline' })
      .catch((e) => e);
    expect([once.statusCode, twice.statusCode]).toEqual([402, 402]);
    expect(twice.headers['idempotent-replayed']).toBe('true');
    expect(twice.raw.charge).toBe(once.raw.charge);
    expect((await h.stripe.charges.list({ payment_intent: pi.id })).data).toHaveLength(1);
  });

  it('rejects the same key with other parameters (StripeIdempotencyError)', async () => {
    await h.stripe.customers.create({ email: 'one@example.com' }, { idempotencyKey: 'key-2' });
    const err = await h.stripe.customers
      .create({ email: 'two@example.com' }, { idempotencyKey: 'key-2' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err.statusCode).toBe(400);
    expect(err.type).toBe('StripeIdempotencyError');
  });

  it('answers 409 while the first request with the key is still running', async () => {
    await h.control('POST', '/faults', { path: '/v1/customers', method: 'POST', latencyMs: 400 });
    const slow = h.stripe.customers.create({ email: 'slow@example.com' }, { idempotencyKey: 'key-3' });
    await new Promise((r) => setTimeout(r, 100));
    const conflict = await rawPost('/v1/customers', 'email=slow%40example.com', { 'Idempotency-Key': 'key-3' });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as any).error).toMatchObject({
      type: 'idempotency_error',
      code: 'idempotency_key_in_use',
    });
    const customer = await slow;
    expect(customer.email).toBe('slow@example.com');
  });

  it('does not save requests rejected before execution, and keys expire after 24 h', async () => {
    const bad = await rawPost('/v1/customers', 'email=x%40example.com&bogus=1', { 'Idempotency-Key': 'key-4' });
    expect(bad.status).toBe(400);
    const good = await rawPost('/v1/customers', 'email=x%40example.com', { 'Idempotency-Key': 'key-4' });
    expect(good.status).toBe(200);
    expect(good.headers.get('idempotent-replayed')).toBeNull();

    const unauthorized = await rawPost('/v1/customers', 'email=y%40example.com', {
      'Idempotency-Key': 'key-5',
      Authorization: 'Bearer nope',
    });
    expect(unauthorized.status).toBe(401);
    expect(
      (await rawPost('/v1/customers', 'email=y%40example.com', { 'Idempotency-Key': 'key-5' })).headers.get(
        'idempotent-replayed',
      ),
    ).toBeNull();

    await h.control('POST', '/clock', { advanceSeconds: 24 * 3600 + 1 });
    const afterExpiry = await rawPost('/v1/customers', 'email=z%40example.com', { 'Idempotency-Key': 'key-4' });
    expect(afterExpiry.status).toBe(200);
    expect(afterExpiry.headers.get('idempotent-replayed')).toBeNull();
  });

  it('scopes keys to the API key', async () => {
    const other = new Stripe('sk_test_other', { host: '127.0.0.1', port: h.emulator.port, protocol: 'http' });
    const a = await h.stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey: 'shared' });
    const b = await other.customers.create({ email: 'b@example.com' }, { idempotencyKey: 'shared' });
    expect(b.id).not.toBe(a.id);
  });
});
