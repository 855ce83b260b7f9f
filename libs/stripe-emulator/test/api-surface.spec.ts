import Stripe from 'stripe';
import { client, useEmulator } from './helpers';

const h = useEmulator();

describe('Wire protocol, lists and auth', () => {
  beforeEach(() => h.reset());

  it('paginates newest first in both directions', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await h.stripe.customers.create({ name: `c${i}` })).id);
    const newestFirst = [...ids].reverse();
    const page1 = await h.stripe.customers.list({ limit: 3 });
    expect(page1).toMatchObject({ object: 'list', has_more: true, url: '/v1/customers' });
    expect(page1.data.map((c) => c.id)).toEqual(newestFirst.slice(0, 3));
    const page2 = await h.stripe.customers.list({ limit: 3, starting_after: page1.data[2].id });
    expect(page2.data.map((c) => c.id)).toEqual(newestFirst.slice(3, 6));
    const page3 = await h.stripe.customers.list({ limit: 3, starting_after: page2.data[2].id });
    expect([page3.data.map((c) => c.id), page3.has_more]).toEqual([newestFirst.slice(6), false]);
    const back = await h.stripe.customers.list({ limit: 2, ending_before: page2.data[0].id });
    expect([back.data.map((c) => c.id), back.has_more]).toEqual([newestFirst.slice(1, 3), true]);
    const all: string[] = [];
    for await (const c of h.stripe.customers.list({ limit: 2 })) all.push(c.id);
    expect(all).toEqual(newestFirst);
    const err = await h.stripe.customers.list({ limit: 101 }).catch((e) => e);
    expect(err.statusCode).toBe(400);
  });

  it('filters and expands, including data.* in lists', async () => {
    const customer = await h.stripe.customers.create({ email: 'find@example.com', name: 'Find Me' });
    await h.stripe.customers.create({ email: 'other@example.com' });
    expect((await h.stripe.customers.list({ email: 'find@example.com' })).data.map((c) => c.id)).toEqual([customer.id]);
    await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const list = await h.stripe.paymentIntents.list({
      customer: customer.id,
      expand: ['data.customer', 'data.latest_charge'],
    });
    expect(list.data).toHaveLength(1);
    expect((list.data[0].customer as Stripe.Customer).name).toBe('Find Me');
    expect((list.data[0].latest_charge as Stripe.Charge).amount_captured).toBe(1000);
    const charge = await h.stripe.charges.retrieve(list.data[0].latest_charge ? (list.data[0].latest_charge as Stripe.Charge).id : '', {
      expand: ['payment_intent'],
    });
    expect((charge.payment_intent as Stripe.PaymentIntent).id).toBe(list.data[0].id);
  });

  it('customers: create, update with metadata unset, delete stub, payment methods', async () => {
    const customer = await h.stripe.customers.create({
      email: 'c@example.com',
      phone: '+100',
      description: 'd',
      metadata: { a: '1', b: '2' },
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    expect(customer.id).toMatch(/^cus_/);
    expect(customer.invoice_settings.default_payment_method).toMatch(/^pm_/);
    const updated = await h.stripe.customers.update(customer.id, { metadata: { a: '', c: '3' }, name: 'New' });
    expect(updated).toMatchObject({ name: 'New', metadata: { b: '2', c: '3' } });
    const pms = await h.stripe.customers.listPaymentMethods(customer.id);
    expect(pms.data.map((p) => p.card?.last4)).toEqual(['4242']);
    const detached = await h.stripe.paymentMethods.detach(pms.data[0].id);
    expect(detached.customer).toBeNull();
    const deleted = await h.stripe.customers.del(customer.id);
    expect(deleted).toEqual({ id: customer.id, object: 'customer', deleted: true });
    expect(await h.stripe.customers.retrieve(customer.id)).toMatchObject({ id: customer.id, deleted: true });
    const events = (await h.stripe.events.list({ type: 'customer.*' })).data.map((e) => e.type);
    // Detaching the default card unsets it (a second customer.updated), as at Stripe.
    expect(events).toEqual(['customer.deleted', 'customer.updated', 'customer.updated', 'customer.created']);
    const [unsetDefault, updatedEvent] = (await h.stripe.events.list({ type: 'customer.updated' })).data;
    expect(updatedEvent.data.previous_attributes).toEqual({ name: null, metadata: { a: '1', b: '2' } });
    expect(unsetDefault.data.previous_attributes).toEqual({
      invoice_settings: expect.objectContaining({ default_payment_method: pms.data[0].id }),
    });
    expect((await h.stripe.events.list({ types: ['payment_method.attached', 'payment_method.detached'] })).data).toHaveLength(2);
    const metaErr = await h.stripe.customers.create({ metadata: { ['k'.repeat(41)]: 'v' } }).catch((e) => e);
    expect(metaErr.statusCode).toBe(400);
  });

  it('accepts both expand[]= and expand[0]= on raw requests', async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    for (const query of ['expand[]=latest_charge', 'expand[0]=latest_charge&client_secret=ignored']) {
      const res = await fetch(`${h.emulator.url}/v1/payment_intents/${pi.id}?${query}`, {
        headers: { Authorization: `Bearer ${h.emulator.secretKey}` },
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).latest_charge).toMatchObject({ object: 'charge', payment_intent: pi.id });
    }
    const control = await fetch(`${h.emulator.url}/_emulator/requests`);
    expect(control.headers.get('request-id')).toMatch(/^req_/);
  });

  it('rejects unknown parameters naming them', async () => {
    const err = await h.stripe.customers.create({ email: 'a@example.com', foo: 'bar' } as Stripe.CustomerCreateParams).catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect([err.code, err.param, err.message]).toEqual(['parameter_unknown', 'foo', 'Received unknown parameter: foo']);
    const nested = await fetch(`${h.emulator.url}/v1/subscriptions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${h.emulator.secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'customer=cus_x&items[0][price]=price_x&items[0][colour]=red',
    });
    expect(nested.status).toBe(400);
    expect(((await nested.json()) as any).error).toMatchObject({
      code: 'parameter_unknown',
      param: 'items[0][colour]',
    });
    expect((await h.stripe.customers.list()).data).toHaveLength(0);
  });

  it('requires a test secret key', async () => {
    for (const key of ['sk_live_123', 'pk_test_123', 'rk_nonsense']) {
      const err = await client(h.emulator, key)
        .customers.list()
        .catch((e) => e);
      expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(err.statusCode).toBe(401);
    }
    const none = await fetch(`${h.emulator.url}/v1/customers`);
    expect(none.status).toBe(401);
    expect(none.headers.get('request-id')).toMatch(/^req_/);
    // Stripe's specification: an invalid key is an invalid_request_error with status 401.
    expect(((await none.json()) as any).error).toMatchObject({
      type: 'invalid_request_error',
      request_log_url: expect.stringMatching(/^https:\/\/dashboard\.stripe\.com\/test\/logs\/req_/),
    });
  });

  it('lists events with created ranges, stable order and both directions', async () => {
    await h.control('POST', '/clock', { advanceSeconds: -100 });
    const early = await h.stripe.customers.create({ name: 'early' });
    await h.control('POST', '/clock', { advanceSeconds: 100 });
    for (let i = 0; i < 3; i++) await h.stripe.customers.create({ name: `late${i}` });
    const events = await h.stripe.events.list();
    const created = events.data.map((e) => e.created);
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    expect(events.data.map((e) => (e.data.object as Stripe.Customer).name)).toEqual(['late2', 'late1', 'late0', 'early']);
    const before = await h.stripe.events.list({ created: { lt: events.data[0].created } });
    expect(before.data.map((e) => (e.data.object as Stripe.Customer).id)).toEqual([early.id]);
    const older = await h.stripe.events.list({ limit: 2, starting_after: events.data[1].id });
    const newer = await h.stripe.events.list({ limit: 2, ending_before: events.data[2].id });
    expect(older.data.map((e) => e.id)).toEqual([events.data[2].id, events.data[3].id]);
    expect(newer.data.map((e) => e.id)).toEqual([events.data[0].id, events.data[1].id]);
    const one = await h.stripe.events.retrieve(events.data[3].id);
    expect(one).toMatchObject({
      object: 'event',
      type: 'customer.created',
      livemode: false,
      api_version: '2026-10-28.endive',
      pending_webhooks: 0,
    });
    expect(one.request?.id).toMatch(/^req_/);
  });
});
