import Stripe from 'stripe';
import { startStripeEmulator, StripeEmulator } from '@app/stripe-emulator';
import { mirrorHooks } from '../src/common/mirror/mirror-hooks';
import { CustomersService } from '../src/customers/customers.service';
import { recordDomainEvents } from '../src/events/domain-event';
import { DataSource } from 'typeorm';
import { PaymentsService } from '../src/payments/payments.service';
import { later as moveClock } from './payments-helpers';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { until } from './utils/wait';
import { deliver, ownEmulatorEnv } from './utils/webhook-delivery';

// #12 writer side: one domain event per real state change, written in the transaction of the change,
// whichever path made it (our API, a Stripe webhook, ?sync=true), none for stale, duplicate or no-op applies.
describe('domain events are written with the change they describe', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let t: TestApp;
  let other: TestApp;
  const env = (e: StripeEmulator) => ownEmulatorEnv(e);

  beforeAll(async () => {
    // No webhook endpoint at the emulator: this file delivers the emulator's real events itself, in the order it chooses.
    emulator = await startStripeEmulator({ asyncDelayMs: 600_000 });
    stripe = new Stripe(emulator.secretKey, { host: '127.0.0.1', port: emulator.port, protocol: 'http' });
    t = await bootApp({ env: env(emulator) });
    other = await bootApp({ db: t.db, env: env(emulator) });
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
    await emulator?.close();
  });
  afterEach(() => {
    delete mirrorHooks.beforeCommit;
  });

  const later = () => moveClock(emulator.url);
  async function eventsFor(objectId: string, typePrefix = ''): Promise<Stripe.Event[]> {
    const all: Stripe.Event[] = [];
    for await (const e of stripe.events.list({ limit: 100 }))
      if ((e.data.object as { id?: string }).id === objectId && e.type.startsWith(typePrefix)) all.push(e);
    return all.reverse();
  }
  const domainEvents = (objectId: string) =>
    query<{ type: string; payload: { data: { object: Record<string, unknown> }; previous: unknown } }>(
      t.db.url,
      `SELECT type, payload FROM domain_events WHERE object_id = $1 ORDER BY seq`,
      [objectId],
    );
  const types = async (objectId: string) => (await domainEvents(objectId)).map((e) => e.type);
  const get = async (url: string) => (await t.request({ url })).json();
  const processed = (eventId: string) =>
    until(
      `event ${eventId} processed`,
      () => query<{ status: string }>(t.db.url, 'SELECT status FROM webhook_events WHERE id = $1', [eventId]),
      (rows) => rows[0]?.status === 'processed',
    );
  async function createPayment(body: Record<string, unknown> = {}) {
    const res = await t.request({ method: 'POST', url: '/v1/payments', payload: { amount: 4200, currency: 'usd', ...body } });
    if (res.statusCode !== 201) throw new Error(`payment: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string; stripePaymentIntentId: string; status: string };
  }

  it('events written in one call (a batch of several objects) are stored in their order, each payload as written, inside the caller’s transaction', async () => {
    const objects = ['a', 'b', 'c'].map((k) => ({ id: `obj_batch_${k}`, note: `it's "${k}" \\ ü`, nested: { k: [k, 1, null] } }));
    const batch = objects.map((object, i) => ({
      type: `payment.${['created', 'succeeded', 'failed'][i]}`,
      objectType: 'payment',
      objectId: object.id,
      object,
      previous: i === 0 ? null : { status: 'processing' },
    }));
    const ds = t.app.get(DataSource);
    await expect(
      ds.transaction(async (m) => {
        await recordDomainEvents(m, batch);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const written = await ds.transaction((m) => recordDomainEvents(m, batch));
    const rows = await query<{ id: string; type: string; object_id: string; payload: unknown; created_at: Date }>(
      t.db.url,
      `SELECT id, type, object_id, payload, created_at FROM domain_events WHERE object_id LIKE 'obj_batch_%' ORDER BY seq`,
    );
    expect(rows.map((r) => [r.type, r.object_id])).toEqual(batch.map((e) => [e.type, e.objectId]));
    expect(rows.map((r) => r.payload)).toEqual(written);
    expect(rows.map((r) => r.id)).toEqual(written.map((e) => e.id));
    expect(new Set(rows.map((r) => r.created_at.toISOString()))).toEqual(new Set([written[0].createdAt]));
  });

  it('a 3-D Secure payment: payment.created, payment.requires_action, payment.succeeded; each object is what GET returns', async () => {
    const p = await createPayment({ paymentMethod: 'pm_card_authenticationRequired', confirm: true });
    expect(p.status).toBe('requires_action');
    await later();
    const challenge = await fetch(`${emulator.url}/_emulator/3ds/${p.stripePaymentIntentId}?result=success`, { redirect: 'manual' });
    expect(challenge.status).toBeLessThan(400);
    for (const e of await eventsFor(p.stripePaymentIntentId, 'payment_intent.')) {
      expect((await deliver(t, e)).statusCode).toBe(200);
      await processed(e.id);
    }
    const succeeded = await get(`/v1/payments/${p.id}`);
    expect(succeeded.status).toBe('succeeded');
    const events = await domainEvents(p.id);
    expect(events.map((e) => e.type)).toEqual(['payment.created', 'payment.requires_action', 'payment.succeeded']);
    expect(events[2].payload).toMatchObject({ type: 'payment.succeeded', previous: { status: 'requires_action' } });
    // GET's answer; only updatedAt may have moved since (a later event re-applying the same state touches it).
    expect(events[2].payload.data.object).toEqual({ ...succeeded, updatedAt: events[2].payload.data.object.updatedAt });
  });

  it("a create's answer is what GET answers and what its replay and its events carry (row, events and record written in one statement)", async () => {
    // Keys of several lengths: jsonb stores them in its own order, and the answer is computed before the row is written.
    const payload = {
      amount: 4200,
      currency: 'usd',
      paymentMethod: 'pm_card_authenticationRequired',
      confirm: true,
      returnUrl: 'https://shop.example/return',
      metadata: { orderId: '7', zz: 'last by name', b: 'x' },
    };
    const headers = { 'idempotency-key': `one-statement-${Date.now()}` };
    const first = await t.request({ method: 'POST', url: '/v1/payments', payload, headers });
    expect(first.statusCode).toBe(201);
    const replay = await t.request({ method: 'POST', url: '/v1/payments', payload, headers });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    const read = await t.request({ url: `/v1/payments/${first.json().id}` });
    expect(read.body).toBe(first.body);
    expect(first.json()).toMatchObject({ status: 'requires_action', nextAction: { type: 'redirect_to_url' } });
    const events = await domainEvents(first.json().id);
    expect(events.map((e) => e.type)).toEqual(['payment.created', 'payment.requires_action']);
    for (const e of events) expect(e.payload.data.object).toEqual(read.json());
    expect(events[1].payload.previous).toBeNull();

    // The same mechanism creates customers.
    const customer = { email: 'one-statement@example.com', name: 'One Statement', metadata: { tier: 'gold', a: '1' } };
    const created = await t.request({
      method: 'POST',
      url: '/v1/customers',
      payload: customer,
      headers: { 'idempotency-key': `${headers['idempotency-key']}-c` },
    });
    expect(created.statusCode).toBe(201);
    const readCustomer = await t.request({ url: `/v1/customers/${created.json().id}` });
    expect(readCustomer.body).toBe(created.body);
    const customerEvents = await domainEvents(created.json().id);
    expect(customerEvents.map((e) => [e.type, e.payload.data.object])).toEqual([['customer.created', readCustomer.json()]]);
  });

  it('duplicate and out-of-order deliveries, two instances and ?sync=true racing a webhook: one payment.succeeded', async () => {
    const p = await createPayment();
    await later();
    // Confirmed behind our back (a front end with the client secret): we only learn it from Stripe.
    await stripe.paymentIntents.confirm(p.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    const all = await eventsFor(p.stripePaymentIntentId, 'payment_intent.');
    const succeeded = all.find((e) => e.type === 'payment_intent.succeeded')!;
    const deliveries = [t, other, t, other].map((app) => deliver(app, succeeded));
    const syncs = [t, other].map((app) => app.request({ url: `/v1/payments/${p.id}?sync=true` }));
    for (const res of await Promise.all([...deliveries, ...syncs])) expect(res.statusCode).toBe(200);
    for (const e of all.reverse()) await deliver(other, e); // older ones after the newest
    for (const e of all) await processed(e.id);
    expect((await get(`/v1/payments/${p.id}`)).status).toBe('succeeded');
    expect(await types(p.id)).toEqual(['payment.created', 'payment.succeeded']);
  });

  it('a rollback after the state UPDATE writes no event (and no state); the retry writes exactly one', async () => {
    const p = await createPayment();
    await later();
    await stripe.paymentIntents.confirm(p.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    mirrorHooks.beforeCommit = (table, stripeId) => {
      if (table === 'payments' && stripeId === p.stripePaymentIntentId) throw new Error('injected failure before commit');
    };
    await expect(t.app.get(PaymentsService).syncFromStripe(p.id)).rejects.toThrow('injected failure before commit');
    expect((await get(`/v1/payments/${p.id}`)).status).toBe('requires_payment_method');
    expect(await types(p.id)).toEqual(['payment.created']);
    delete mirrorHooks.beforeCommit;
    expect(await t.app.get(PaymentsService).syncFromStripe(p.id)).toBe('applied');
    expect(await types(p.id)).toEqual(['payment.created', 'payment.succeeded']);
  });

  it('a decline is payment.failed with its error; a manual capture is requires_capture then succeeded; a cancel is canceled', async () => {
    const declined = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: { amount: 4200, currency: 'usd', paymentMethod: 'pm_card_visa_chargeDeclined', confirm: true },
    });
    expect(declined.statusCode).toBe(402);
    const declinedId = declined.json().paymentId as string;
    const failed = await domainEvents(declinedId);
    expect(failed.map((e) => e.type)).toEqual(['payment.created', 'payment.failed']);
    expect(failed[1].payload.data.object).toMatchObject({ lastPaymentError: { declineCode: 'generic_decline' } });

    const manual = await createPayment({ paymentMethod: 'pm_card_visa', confirm: true, captureMethod: 'manual' });
    expect(manual.status).toBe('requires_capture');
    const captured = await t.request({ method: 'POST', url: `/v1/payments/${manual.id}/capture`, payload: {} });
    expect(captured.statusCode).toBe(200);
    expect(await types(manual.id)).toEqual(['payment.created', 'payment.requires_capture', 'payment.succeeded']);

    const open = await createPayment();
    expect((await t.request({ method: 'POST', url: `/v1/payments/${open.id}/cancel`, payload: {} })).statusCode).toBe(200);
    expect(await types(open.id)).toEqual(['payment.created', 'payment.canceled']);
  });

  it('customers, refunds and subscriptions: created, updated, outcomes, canceled and deleted', async () => {
    const customer = await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'events@example.com' } });
    const customerId = customer.json().id as string;
    expect((await t.request({ method: 'PATCH', url: `/v1/customers/${customerId}`, payload: { name: 'Ada' } })).statusCode).toBe(200);
    // The same answer applied again (the webhook of our own update) changes nothing visible: no event.
    const cus = (await stripe.customers.retrieve(customer.json().stripeCustomerId)) as Stripe.Customer;
    expect(await t.app.get(CustomersService).applyStripeCustomer(cus)).toBe('applied');
    const paid = await createPayment({ paymentMethod: 'pm_card_visa', confirm: true });
    const refund = await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: paid.id, amount: 1000 } });
    expect(refund.statusCode).toBe(201);
    const refundEvents = await domainEvents(refund.json().id);
    expect(refundEvents.map((e) => e.type)).toEqual(['refund.created', 'refund.succeeded']);
    expect(refundEvents[1].payload.data.object).toEqual(await get(`/v1/refunds/${refund.json().id}`));

    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 900,
      recurring: { interval: 'month' },
      product_data: { name: 'P' },
    });
    const sub = await t.request({
      method: 'POST',
      url: '/v1/subscriptions',
      payload: { customerId, priceId: price.id, paymentMethod: 'pm_card_visa' },
    });
    expect(sub.statusCode).toBe(201);
    const canceled = await t.request({ method: 'POST', url: `/v1/subscriptions/${sub.json().id}/cancel`, payload: {} });
    expect(canceled.statusCode).toBe(200);
    const subEvents = await domainEvents(sub.json().id);
    expect(subEvents.map((e) => e.type)).toEqual(['subscription.created', 'subscription.canceled']);
    expect(subEvents[1].payload).toMatchObject({ previous: { status: 'active' } });
    expect(subEvents[1].payload.data.object).toEqual(await get(`/v1/subscriptions/${sub.json().id}`));

    expect((await t.request({ method: 'DELETE', url: `/v1/customers/${customerId}` })).statusCode).toBe(200);
    expect(await types(customerId)).toEqual(['customer.created', 'customer.updated', 'customer.deleted']);
  });

  it('saving a card: setup_intent.succeeded and payment_method.attached in one transaction, then payment_method.detached', async () => {
    const customer = await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'saves@example.com' } });
    const customerId = customer.json().id;
    const si = await t.request({
      method: 'POST',
      url: '/v1/setup-intents',
      payload: { customerId, paymentMethod: 'pm_card_authenticationRequiredOnSetup', confirm: true, returnUrl: 'https://shop.example/s' },
    });
    expect(si.json()).toMatchObject({ status: 'requires_action' });
    const { id, stripeSetupIntentId } = si.json();
    expect(await types(id)).toEqual([]);
    await later();
    await fetch(`${emulator.url}/_emulator/3ds/${stripeSetupIntentId}?result=success`, { redirect: 'manual' });
    const [succeeded] = await eventsFor(stripeSetupIntentId, 'setup_intent.succeeded');
    const pm = (succeeded.data.object as Stripe.SetupIntent).payment_method as string;

    // A failure before commit takes the setup, the card and both events with it; the retry writes each once.
    mirrorHooks.beforeCommit = (table) => {
      if (table === 'setup_intents') throw new Error('injected failure before commit');
    };
    expect((await deliver(t, succeeded)).statusCode).toBe(200);
    await until(
      'a failed attempt',
      () => query<{ last_error: string | null }>(t.db.url, 'SELECT last_error FROM webhook_events WHERE id = $1', [succeeded.id]),
      (rows) => !!rows[0]?.last_error?.includes('injected failure before commit'),
    );
    expect(await types(id)).toEqual([]);
    expect(await types(pm)).toEqual([]);
    expect(await query(t.db.url, 'SELECT id FROM payment_methods WHERE id = $1', [pm])).toEqual([]);
    delete mirrorHooks.beforeCommit;
    await processed(succeeded.id);
    const saved = await domainEvents(id);
    expect(saved.map((e) => e.type)).toEqual(['setup_intent.succeeded']);
    expect(saved[0].payload).toMatchObject({ previous: { status: 'requires_action' } });
    expect(saved[0].payload.data.object).toEqual(await get(`/v1/setup-intents/${id}`));
    const attached = await domainEvents(pm);
    expect(attached.map((e) => e.type)).toEqual(['payment_method.attached']);
    expect(attached[0].payload.data.object).toMatchObject({ id: pm, customerId, type: 'card', card: { last4: '3155' }, detachedAt: null });

    expect((await t.request({ method: 'DELETE', url: `/v1/customers/${customerId}/payment-methods/${pm}` })).statusCode).toBe(204);
    const detached = await domainEvents(pm);
    expect(detached.map((e) => e.type)).toEqual(['payment_method.attached', 'payment_method.detached']);
    expect(detached[1].payload.data.object).toMatchObject({ id: pm, customerId, detachedAt: expect.any(String) });
  });

  it('a customer.created delivered after the default card was set (Stripe’s clock moved on) changes nothing and says nothing', async () => {
    await later(); // Stripe's clock ahead of the local one, as after any earlier test that moved it
    const customerId = (await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'late@example.com' } })).json().id;
    const si = await t.request({
      method: 'POST',
      url: '/v1/setup-intents',
      payload: { customerId, paymentMethod: 'pm_card_visa', confirm: true },
    });
    const pm = si.json().paymentMethod;
    const patched = await t.request({ method: 'PATCH', url: `/v1/customers/${customerId}`, payload: { defaultPaymentMethod: pm } });
    expect(patched.json()).toMatchObject({ defaultPaymentMethod: pm });
    const before = await types(customerId);
    const [created] = await eventsFor(patched.json().stripeCustomerId, 'customer.created');
    expect((created.data.object as Stripe.Customer).invoice_settings.default_payment_method).toBeNull();
    // The first event this row sees, yet older news than the PATCH's answer by Stripe's own clock.
    expect((await deliver(t, created)).statusCode).toBe(200);
    await processed(created.id);
    expect(await get(`/v1/customers/${customerId}`)).toMatchObject({ defaultPaymentMethod: pm });
    expect(await types(customerId)).toEqual(before);
  });
});
