import Stripe from 'stripe';
import { SubscriptionsService } from '../src/subscriptions/subscriptions.service';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { createCustomer, emulatorOf } from './payments-helpers';

describe('subscriptions (real PostgreSQL, emulator over HTTP, real SDK)', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  let stripe: Stripe;
  let customerId: string;
  let priceId: string;

  beforeAll(async () => {
    t = await bootApp();
    emulator = emulatorOf(t);
    const { hostname, port } = new URL(emulator.url);
    stripe = new Stripe('sk_test_emulator', { host: hostname, port: Number(port), protocol: 'http' });
    // The catalog is managed in Stripe, not by this service.
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1500,
      recurring: { interval: 'month' },
      product_data: { name: 'Pro' },
    });
    priceId = price.id;
    customerId = await createCustomer(t, 'subscriber@example.com');
  });
  afterAll(() => t.close());

  const post = (url: string, payload: object = {}, headers: Record<string, string> = {}) =>
    t.request({ method: 'POST', url, payload, headers });
  const get = (url: string) => t.request({ url });
  // "No Stripe call" means no write: the webhook worker may re-fetch a subscription meanwhile, when a
  // delivery lands in the same second as our last answer (a GET that is not the request's; a CI flake).
  const stripeWrites = async (pathPrefix?: string) =>
    (await emulator.requests(pathPrefix ? { pathPrefix } : {})).filter((r) => r.method !== 'GET');
  const subscribe = async (extra: object = {}) => {
    const res = await post('/v1/subscriptions', { customerId, priceId, ...extra });
    if (res.statusCode !== 201) throw new Error(`subscribe: ${res.statusCode} ${res.body}`);
    return res.json();
  };

  it('default_incomplete: 201 incomplete with clientSecret -> the front end confirms the invoice PaymentIntent -> ?sync=true -> active, invoice paid', async () => {
    const created = await post('/v1/subscriptions', { customerId, priceId, quantity: 2, metadata: { plan: 'pro' } });
    expect(created.statusCode).toBe(201);
    const sub = created.json();
    expect(sub).toMatchObject({
      customerId,
      priceId,
      quantity: 2,
      status: 'incomplete',
      cancelAtPeriodEnd: false,
      metadata: { plan: 'pro' },
      latestInvoice: { status: 'open', amountDue: 3000, currency: 'usd', paymentStatus: 'requires_payment_method' },
      canceledAt: null,
    });
    expect(sub.stripeSubscriptionId).toMatch(/^sub_/);
    expect(sub.latestInvoice.id).toMatch(/^in_/);
    expect(sub.clientSecret).toMatch(/^pi_.+_secret_/);
    expect(new Date(sub.currentPeriodEnd).getTime()).toBeGreaterThan(Date.now() + 27 * 86400_000);
    const stored = await emulator.object(sub.stripeSubscriptionId);
    expect(stored.metadata).toEqual({ plan: 'pro', payments_service_id: sub.id });

    // What Stripe.js does with the client secret on the front end.
    const intentId = sub.clientSecret.split('_secret_')[0];
    const paid = await stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa' });
    expect(paid.status).toBe('succeeded');

    expect((await get(`/v1/subscriptions/${sub.id}`)).json().status).toBe('incomplete'); // stored state, no Stripe call
    const synced = await get(`/v1/subscriptions/${sub.id}?sync=true`);
    expect(synced.statusCode).toBe(200);
    expect(synced.json()).toMatchObject({
      status: 'active',
      clientSecret: null,
      latestInvoice: { id: sub.latestInvoice.id, status: 'paid', amountDue: 3000, paymentStatus: 'succeeded' },
    });
  });

  it('with paymentMethod pm_card_visa: active at once, invoice paid, nothing left for the front end', async () => {
    const sub = await subscribe({ paymentMethod: 'pm_card_visa' });
    expect(sub).toMatchObject({
      status: 'active',
      clientSecret: null,
      latestInvoice: { status: 'paid', amountDue: 1500, paymentStatus: 'succeeded' },
    });
    expect((await emulator.object(sub.stripeSubscriptionId)).default_payment_method).toMatch(/^pm_/);
  });

  it('with a declining card: 201 incomplete, invoice open, paymentStatus requires_payment_method, clientSecret to retry with another card', async () => {
    const res = await post('/v1/subscriptions', { customerId, priceId, paymentMethod: 'pm_card_visa_chargeDeclinedInsufficientFunds' });
    expect(res.statusCode).toBe(201);
    const sub = res.json();
    expect(sub).toMatchObject({
      status: 'incomplete',
      latestInvoice: { status: 'open', amountDue: 1500, paymentStatus: 'requires_payment_method' },
    });
    expect(sub.clientSecret).toMatch(/_secret_/);
    const [row] = await query(t.db.url, 'SELECT status, latest_invoice_status FROM subscriptions WHERE id = $1', [sub.id]);
    expect(row).toEqual({ status: 'incomplete', latest_invoice_status: 'open' });

    await stripe.paymentIntents.confirm(sub.clientSecret.split('_secret_')[0], { payment_method: 'pm_card_mastercard' });
    expect((await get(`/v1/subscriptions/${sub.id}?sync=true`)).json()).toMatchObject({
      status: 'active',
      latestInvoice: { status: 'paid' },
    });
  });

  it('with a trial: trialing, nothing charged, no client secret', async () => {
    const sub = await subscribe({ trialPeriodDays: 14 });
    expect(sub).toMatchObject({
      status: 'trialing',
      clientSecret: null,
      latestInvoice: { status: 'paid', amountDue: 0, paymentStatus: null },
    });
    const periodEnd = new Date(sub.currentPeriodEnd).getTime();
    expect(Math.abs(periodEnd - (Date.now() + 14 * 86400_000))).toBeLessThan(120_000);
  });

  it('cancel at period end keeps it active; cancel now -> canceled; cancel again -> 409 without a Stripe call', async () => {
    const sub = await subscribe({ paymentMethod: 'pm_card_visa' });
    const atEnd = await post(`/v1/subscriptions/${sub.id}/cancel`, { atPeriodEnd: true });
    expect(atEnd.statusCode).toBe(200);
    expect(atEnd.json()).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expect((await emulator.object(sub.stripeSubscriptionId)).cancel_at_period_end).toBe(true);

    const now = await post(`/v1/subscriptions/${sub.id}/cancel`, {});
    expect(now.statusCode).toBe(200);
    expect(now.json()).toMatchObject({ status: 'canceled' });
    expect(now.json().canceledAt).toEqual(expect.any(String));
    expect((await emulator.object(sub.stripeSubscriptionId)).status).toBe('canceled');

    await emulator.clearRequests();
    const again = await post(`/v1/subscriptions/${sub.id}/cancel`, {});
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json()).toMatchObject({ code: 'subscription_not_cancelable', subscriptionStatus: 'canceled' });
    expect(await stripeWrites()).toEqual([]);
  });

  it('an incomplete subscription cannot be canceled at period end (409, no Stripe call), but can be canceled now', async () => {
    const sub = await subscribe();
    await emulator.clearRequests();
    const atEnd = await post(`/v1/subscriptions/${sub.id}/cancel`, { atPeriodEnd: true });
    expect(atEnd.statusCode).toBe(409);
    expect(await stripeWrites()).toEqual([]);
    expect((await post(`/v1/subscriptions/${sub.id}/cancel`)).json()).toMatchObject({ status: 'canceled' });
  });

  describe('validation (no Stripe call)', () => {
    beforeEach(() => emulator.clearRequests());
    afterEach(async () => expect(await stripeWrites('/v1/subscriptions')).toEqual([]));

    it('unknown customer -> 400 naming customerId', async () => {
      const res = await post('/v1/subscriptions', { customerId: '00000000-0000-4000-8000-000000000000', priceId });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'customer_not_found', errors: [{ field: 'customerId' }] });
    });

    it('deleted customer -> 409', async () => {
      const gone = await createCustomer(t, 'gone@example.com');
      expect((await t.request({ method: 'DELETE', url: `/v1/customers/${gone}` })).statusCode).toBe(200);
      const res = await post('/v1/subscriptions', { customerId: gone, priceId });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'customer_deleted' });
    });

    it('bad priceId shape, quantity 0, unknown field, card number as payment method -> 400 naming each field', async () => {
      const res = await post('/v1/subscriptions', {
        customerId,
        priceId: 'prod_123',
        quantity: 0,
        interval: 'month',
        paymentMethod: '4242424242424242',
        trialPeriodDays: 731,
      });
      expect(res.statusCode).toBe(400);
      const fields = res
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort();
      expect(fields).toEqual(['interval', 'paymentMethod', 'priceId', 'quantity', 'trialPeriodDays']);
      expect(res.json().errors.find((e: { field: string }) => e.field === 'priceId').message).toContain('price_');
    });

    it('bad list filters and ids -> 400', async () => {
      expect((await get('/v1/subscriptions?status=alive')).statusCode).toBe(400);
      expect((await get('/v1/subscriptions/not-a-uuid')).statusCode).toBe(400);
      expect((await get('/v1/subscriptions/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    });
  });

  it('lists by customer and status, newest first, paginated', async () => {
    const other = await createCustomer(t, 'lister@example.com');
    const a = (await post('/v1/subscriptions', { customerId: other, priceId, paymentMethod: 'pm_card_visa' })).json();
    const b = (await post('/v1/subscriptions', { customerId: other, priceId })).json();
    const all = (await get(`/v1/subscriptions?customerId=${other}`)).json();
    expect(all.data.map((s: { id: string }) => s.id)).toEqual([b.id, a.id]);
    const active = (await get(`/v1/subscriptions?customerId=${other}&status=active`)).json();
    expect(active.data.map((s: { id: string }) => s.id)).toEqual([a.id]);
    const page1 = (await get(`/v1/subscriptions?customerId=${other}&limit=1`)).json();
    expect(page1).toMatchObject({ hasMore: true, nextCursor: b.id });
    const page2 = (await get(`/v1/subscriptions?customerId=${other}&limit=1&startingAfter=${b.id}`)).json();
    expect(page2).toMatchObject({ data: [{ id: a.id }], hasMore: false, nextCursor: null });
  });

  it('Idempotency-Key replay: same answer, one subscription in Stripe', async () => {
    const key = `sub-${Date.now()}`;
    await emulator.clearRequests();
    const first = await post('/v1/subscriptions', { customerId, priceId, paymentMethod: 'pm_card_visa' }, { 'idempotency-key': key });
    const second = await post('/v1/subscriptions', { customerId, priceId, paymentMethod: 'pm_card_visa' }, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
    const creates = await emulator.requests({ method: 'POST', pathPrefix: '/v1/subscriptions' });
    expect(creates).toHaveLength(1);
    expect(creates[0].idempotencyKey).toBe(`subscriptions.create:${first.json().id}`);
  });

  it('Stripe created it but the answer was lost: the retry with the same Idempotency-Key converges on one subscription', async () => {
    const key = `sub-lost-${Date.now()}`;
    const payload = { customerId, priceId, paymentMethod: 'pm_card_visa' };
    await emulator.fault({ method: 'POST', path: '/v1/subscriptions', drop: true, afterExecute: true, count: 5 });
    const lost = await post('/v1/subscriptions', payload, { 'idempotency-key': key });
    await emulator.clearFaults();
    const retried = await post('/v1/subscriptions', payload, { 'idempotency-key': key });
    expect(lost.statusCode).toBe(502);
    expect(retried.statusCode).toBe(201);
    expect(retried.json().status).toBe('active');
    const all = await stripe.subscriptions.list({
      customer: (await emulator.object(retried.json().stripeSubscriptionId)).customer,
      status: 'all',
      limit: 100,
    });
    expect(all.data.filter((s) => s.metadata.payments_service_id === retried.json().id)).toHaveLength(1);
    const [{ count }] = await query(t.db.url, 'SELECT count(*)::int AS count FROM subscriptions WHERE stripe_subscription_id = $1', [
      retried.json().stripeSubscriptionId,
    ]);
    expect(count).toBe(1);
  });

  it('applyStripeSubscription is order safe: a stale incomplete snapshot after an active one leaves it active; canceled is final', async () => {
    const sub = await subscribe({ paymentMethod: 'pm_card_visa' });
    const service = t.app.get(SubscriptionsService);
    const snapshot = await stripe.subscriptions.retrieve(sub.stripeSubscriptionId);
    const T = Math.floor(Date.now() / 1000) + 100;

    expect(await service.applyStripeSubscription({ ...snapshot, status: 'active' }, { eventCreated: T })).toBe('applied');
    expect(await service.applyStripeSubscription({ ...snapshot, status: 'incomplete' }, { eventCreated: T - 10 })).toBe('stale');
    expect((await get(`/v1/subscriptions/${sub.id}`)).json().status).toBe('active');
    // Same second: the later status in Stripe's order wins; an earlier one is asked of Stripe, which says active.
    await service.applyStripeSubscription({ ...snapshot, status: 'incomplete' }, { eventCreated: T });
    expect((await get(`/v1/subscriptions/${sub.id}`)).json().status).toBe('active');
    expect(await service.applyStripeSubscription({ ...snapshot, status: 'past_due' }, { eventCreated: T })).toBe('applied');
    expect(await service.applyStripeSubscription({ ...snapshot, status: 'canceled' }, { eventCreated: T + 1 })).toBe('applied');
    expect(await service.applyStripeSubscription({ ...snapshot, status: 'active' }, { eventCreated: T + 50 })).toBe('stale');
    expect(await service.applyStripeSubscription({ ...snapshot, status: 'active' })).toBe('stale');
    expect((await get(`/v1/subscriptions/${sub.id}`)).json().status).toBe('canceled');

    expect(await service.applyStripeSubscription({ ...snapshot, id: 'sub_someone_else', metadata: {} }, { eventCreated: T })).toBe(
      'foreign',
    );
    expect(
      await service.applyStripeSubscription(
        { ...snapshot, id: 'sub_racing', metadata: { payments_service_id: '11111111-1111-4111-8111-111111111111' } },
        { eventCreated: T },
      ),
    ).toBe('not_yet');
  });

  it('a snapshot from before our last fresh answer is stale; one from that very second is settled by asking Stripe', async () => {
    const sub = await subscribe({ paymentMethod: 'pm_card_visa' });
    expect(sub.status).toBe('active');
    const [row] = await query<{ stripe_synced_at: string }>(t.db.url, 'SELECT stripe_synced_at FROM subscriptions WHERE id = $1', [sub.id]);
    const answeredAt = Number(row.stripe_synced_at);
    const stale = { ...(await stripe.subscriptions.retrieve(sub.stripeSubscriptionId)), status: 'incomplete' } as Stripe.Subscription;
    const service = t.app.get(SubscriptionsService);
    expect(await service.applyStripeSubscription(stale, { eventCreated: answeredAt - 1 })).toBe('stale');
    expect(await service.applyStripeSubscription(stale, { eventCreated: answeredAt })).toBe('applied'); // re-fetched: active
    expect((await get(`/v1/subscriptions/${sub.id}`)).json()).toMatchObject({ status: 'active' });
  });

  it('applyStripeInvoice updates the latest invoice found through parent.subscription_details (or legacy subscription); older states and invoices never win', async () => {
    const sub = await subscribe();
    const service = t.app.get(SubscriptionsService);
    const open = await stripe.invoices.retrieve(sub.latestInvoice.id);
    expect(open.parent?.subscription_details?.subscription).toBe(sub.stripeSubscriptionId);

    const paid = { ...open, status: 'paid', amount_paid: open.amount_due, confirmation_secret: null } as Stripe.Invoice;
    expect(await service.applyStripeInvoice(paid, { eventCreated: 200 })).toBe('applied');
    expect((await get(`/v1/subscriptions/${sub.id}`)).json()).toMatchObject({
      latestInvoice: { status: 'paid', paymentStatus: 'succeeded' },
      clientSecret: null,
    });
    expect(await service.applyStripeInvoice(open, { eventCreated: 100 })).toBe('stale');

    const older = { ...open, id: 'in_older', created: open.created - 3600 } as Stripe.Invoice;
    expect(await service.applyStripeInvoice(older)).toBe('stale');
    const legacyOnly = {
      ...open,
      id: 'in_next',
      created: open.created + 86400,
      status: 'open',
      parent: null,
      subscription: sub.stripeSubscriptionId,
    } as unknown as Stripe.Invoice;
    expect(await service.applyStripeInvoice(legacyOnly)).toBe('applied');
    expect((await get(`/v1/subscriptions/${sub.id}`)).json().latestInvoice).toMatchObject({
      id: 'in_next',
      status: 'open',
      paymentStatus: null,
    });

    // A one-off invoice (no subscription, in either field) is not ours to apply.
    expect(await service.applyStripeInvoice({ ...open, parent: null, subscription: null } as unknown as Stripe.Invoice)).toBe('foreign');
    expect(
      await service.applyStripeInvoice({
        ...open,
        parent: { type: 'subscription_details', quote_details: null, subscription_details: { subscription: 'sub_x', metadata: {} } },
        subscription: 'sub_x',
      } as unknown as Stripe.Invoice),
    ).toBe('foreign');
  });

  it("the emulator's own events, applied newest first as the dispatcher would, converge on active + paid", async () => {
    const sub = await subscribe();
    await stripe.paymentIntents.confirm(sub.clientSecret.split('_secret_')[0], { payment_method: 'pm_card_visa' });
    const service = t.app.get(SubscriptionsService);
    const events = (await stripe.events.list({ types: ['customer.subscription.*', 'invoice.*'], limit: 100 })).data.filter((e) => {
      const object = e.data.object as { id: string; parent?: { subscription_details?: { subscription?: string } } };
      return object.id === sub.stripeSubscriptionId || object.parent?.subscription_details?.subscription === sub.stripeSubscriptionId;
    });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['customer.subscription.created', 'invoice.finalized', 'invoice.paid', 'customer.subscription.updated']),
    );
    const results: string[] = [];
    for (const event of events) {
      // Newest first: the worst order a webhook endpoint can see.
      const opts = { eventCreated: event.created };
      if (event.type.startsWith('customer.subscription.'))
        results.push(await service.applyStripeSubscription(event.data.object as Stripe.Subscription, opts));
      else if (['invoice.finalized', 'invoice.paid', 'invoice.payment_failed'].includes(event.type))
        results.push(await service.applyStripeInvoice(event.data.object as Stripe.Invoice, opts));
    }
    expect(results).not.toContain('foreign');
    expect((await get(`/v1/subscriptions/${sub.id}`)).json()).toMatchObject({
      status: 'active',
      clientSecret: null,
      latestInvoice: { id: sub.latestInvoice.id, status: 'paid', paymentStatus: 'succeeded' },
    });
  });

  it('Swagger documents every route, body, response and error', async () => {
    const doc = (await t.request({ url: '/docs-json', apiKey: null })).json();
    const create = doc.paths['/v1/subscriptions'].post;
    expect(create.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]));
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '409', '422', '429', '502']));
    expect(create.description).toContain('status incomplete');
    expect(Object.keys(doc.paths['/v1/subscriptions'].get.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
    expect(Object.keys(doc.paths['/v1/subscriptions/{id}'].get.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '404', '502']),
    );
    expect(Object.keys(doc.paths['/v1/subscriptions/{id}/cancel'].post.responses)).toEqual(
      expect.arrayContaining(['200', '404', '409', '502']),
    );
    expect(doc.components.schemas.CreateSubscriptionDto.required).toEqual(expect.arrayContaining(['customerId', 'priceId']));
    expect(doc.components.schemas.SubscriptionResponse.properties.latestInvoice).toBeTruthy();
    expect(doc.components.schemas.SubscriptionPage.properties.data.items.$ref).toContain('SubscriptionResponse');
  });

  it("canceled at Stripe behind our back: cancel syncs and answers 409 instead of surfacing Stripe's error", async () => {
    const sub = await subscribe({ paymentMethod: 'pm_card_visa' });
    await stripe.subscriptions.cancel(sub.stripeSubscriptionId);
    const res = await post(`/v1/subscriptions/${sub.id}/cancel`, {});
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'subscription_not_cancelable', subscriptionStatus: 'canceled' });
    expect((await get(`/v1/subscriptions/${sub.id}`)).json().status).toBe('canceled');
  });

  it('renewal fails: advance the billing clock with a failing charge, ?sync=true -> past_due with the renewal invoice open', async () => {
    const sub = await subscribe({ paymentMethod: 'pm_card_visa' });
    const res = await fetch(`${emulator.url}/_emulator/subscriptions/${sub.stripeSubscriptionId}/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'fail' }),
    });
    expect(res.status).toBe(200);
    const synced = (await get(`/v1/subscriptions/${sub.id}?sync=true`)).json();
    expect(synced).toMatchObject({
      status: 'past_due',
      latestInvoice: { status: 'open', amountDue: 1500, paymentStatus: 'requires_payment_method' },
    });
    expect(synced.latestInvoice.id).not.toBe(sub.latestInvoice.id);
    expect(new Date(synced.currentPeriodEnd).getTime()).toBeGreaterThan(new Date(sub.currentPeriodEnd).getTime());
  });
});
