import Stripe from 'stripe';
import { StripeContext } from '@app/stripe';
import { query } from './utils/database';
import { bootApp, TestApp } from './utils/app';
import { until } from './utils/wait';

describe('customers (sandbox: in-process emulator)', () => {
  let t: TestApp;
  let emulatorUrl: string;
  beforeAll(async () => {
    t = await bootApp();
    const config = await t.request({ url: '/v1/config' });
    emulatorUrl = t.app.get(StripeContext).emulatorUrl!;
    expect(config.json()).toMatchObject({ publishableKey: 'pk_test_emulator', sandbox: true, emulatorUrl, livemode: false });
  });
  afterAll(() => t.close());

  const emulatorObject = async (id: string) =>
    (await fetch(`${emulatorUrl}/_emulator/objects/${id}`)).json() as Promise<Record<string, any>>;

  it('creates, reads, finds by email, updates and deletes (tombstone) a customer, mirrored in Stripe', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/v1/customers',
      payload: { email: 'ada@example.com', name: 'Ada Lovelace', metadata: { crmId: 'c-1' } },
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      phone: null,
      metadata: { crmId: 'c-1' },
      deletedAt: null,
    });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.stripeCustomerId).toMatch(/^cus_/);
    const inStripe = await emulatorObject(body.stripeCustomerId);
    expect(inStripe.metadata).toEqual({ crmId: 'c-1', payments_service_id: body.id });

    expect((await t.request({ url: `/v1/customers/${body.id}` })).json()).toEqual(body);
    const byEmail = (await t.request({ url: '/v1/customers?email=ada@example.com' })).json();
    expect(byEmail).toEqual({ data: [body], hasMore: false, nextCursor: null });

    const patched = await t.request({
      method: 'PATCH',
      url: `/v1/customers/${body.id}`,
      payload: { name: 'Ada King', metadata: { tier: 'gold' } },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Ada King', metadata: { crmId: 'c-1', tier: 'gold' } });
    expect((await emulatorObject(body.stripeCustomerId)).name).toBe('Ada King');

    const deleted = await t.request({ method: 'DELETE', url: `/v1/customers/${body.id}` });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json().deletedAt).toEqual(expect.any(String));
    expect((await emulatorObject(body.stripeCustomerId)).deleted).toBe(true);
    expect((await t.request({ url: `/v1/customers/${body.id}` })).json().deletedAt).toBe(deleted.json().deletedAt);
    const [row] = await query(t.db.url, 'SELECT deleted_at FROM customers WHERE id = $1', [body.id]);
    expect(row.deleted_at).not.toBeNull();
  });

  it('pages with limit and startingAfter, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'page@example.com' } });
      ids.push(res.json().id);
    }
    const first = (await t.request({ url: '/v1/customers?email=page@example.com&limit=2' })).json();
    expect(first.data.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    expect(first).toMatchObject({ hasMore: true, nextCursor: ids[1] });
    const second = (await t.request({ url: `/v1/customers?email=page@example.com&limit=2&startingAfter=${first.nextCursor}` })).json();
    expect(second).toEqual({ data: [expect.objectContaining({ id: ids[0] })], hasMore: false, nextCursor: null });
  });

  it('refuses bad input before Stripe: bad email, reserved metadata key, a card number in a field', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/v1/customers',
      payload: {
        email: 'nope',
        description: 'card 4242 4242 4242 4242',
        phone: '4000056655665556',
        metadata: { payments_service_id: 'x' },
      },
    });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['description', 'email', 'metadata', 'phone']);
    expect(JSON.stringify(t.logs)).not.toContain('4242 4242 4242 4242');
  });

  it('a customer deleted at Stripe (the dashboard, another service) is marked deleted here by its customer.deleted webhook', async () => {
    const created = (await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'gone-at-stripe@example.com' } })).json();
    const { hostname, port } = new URL(emulatorUrl);
    const stripe = new Stripe('sk_test_dashboard', { host: hostname, port: Number(port), protocol: 'http' });
    await stripe.customers.del(created.stripeCustomerId);
    // Stripe's customer.deleted carries the customer object as it was: no `deleted: true` in the payload.
    const [event] = (await stripe.events.list({ type: 'customer.deleted', limit: 1 })).data;
    expect(event.data.object).toMatchObject({ id: created.stripeCustomerId });
    expect((event.data.object as { deleted?: boolean }).deleted).toBeUndefined();
    const gone = await until(
      'deleted by webhook',
      async () => (await t.request({ url: `/v1/customers/${created.id}` })).json(),
      (c) => c.deletedAt !== null,
      30_000,
    );
    expect(gone).toMatchObject({ id: created.id, email: 'gone-at-stripe@example.com', deletedAt: expect.any(String) });
    const pay = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: { amount: 1000, currency: 'usd', customerId: created.id },
    });
    expect(pay.statusCode).toBe(409);
    expect(pay.json()).toMatchObject({ code: 'customer_deleted' });
  });

  it('unknown or malformed ids -> 404 / 400', async () => {
    expect((await t.request({ url: '/v1/customers/6f1c1d1e-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    expect((await t.request({ url: '/v1/customers/not-a-uuid' })).statusCode).toBe(400);
  });
});
