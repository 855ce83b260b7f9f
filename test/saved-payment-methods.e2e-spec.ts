import Stripe from 'stripe';
import { bootApp, TestApp } from './utils/app';
import { until } from './utils/wait';
import { createCustomer, emulatorOf } from './payments-helpers';

describe('saved payment methods: SetupIntents, the customer’s cards, off-session charges (real PostgreSQL, emulator, SDK)', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  let stripe: Stripe;

  beforeAll(async () => {
    t = await bootApp();
    emulator = emulatorOf(t);
    const { hostname, port } = new URL(emulator.url);
    stripe = new Stripe('sk_test_emulator', { host: hostname, port: Number(port), protocol: 'http' });
  });
  afterAll(() => t.close());

  const post = (url: string, payload: object = {}, headers: Record<string, string> = {}) =>
    t.request({ method: 'POST', url, payload, headers });
  const get = async (url: string) => (await t.request({ url })).json();
  const cards = async (customerId: string) => (await get(`/v1/customers/${customerId}/payment-methods`)).data as Array<Record<string, any>>;
  const stripeCustomerOf = async (customerId: string) => (await get(`/v1/customers/${customerId}`)).stripeCustomerId as string;

  async function saveCard(customerId: string, paymentMethod: string) {
    const res = await post('/v1/setup-intents', { customerId, paymentMethod, confirm: true, returnUrl: 'https://shop.example/saved' });
    expect(res.statusCode).toBe(201);
    let si = res.json();
    if (si.status === 'requires_action') {
      await emulator.later();
      await emulator.threeDSecure(si.stripeSetupIntentId, 'success');
      si = await until(
        'setup intent succeeded by webhook',
        () => get(`/v1/setup-intents/${si.id}`),
        (s) => s.status === 'succeeded',
      );
    }
    return si;
  }

  async function saveDefaultCard(customerId: string, paymentMethod: string) {
    const si = await saveCard(customerId, paymentMethod);
    const res = await t.request({
      method: 'PATCH',
      url: `/v1/customers/${customerId}`,
      payload: { defaultPaymentMethod: si.paymentMethod },
    });
    expect(res.statusCode).toBe(200);
    return si.paymentMethod as string;
  }

  const chargeOffSession = (customerId: string) =>
    post('/v1/payments', { amount: 2500, currency: 'usd', customerId, confirm: true, offSession: true });

  it('a SetupIntent confirmed with pm_card_visa succeeds and the card is listed with brand and last4 only', async () => {
    const customerId = await createCustomer(t, 'saver@example.com');
    const res = await post('/v1/setup-intents', { customerId, paymentMethod: 'pm_card_visa', confirm: true });
    expect(res.statusCode).toBe(201);
    const si = res.json();
    expect(si).toEqual({
      id: expect.any(String),
      customerId,
      stripeSetupIntentId: expect.stringMatching(/^seti_/),
      status: 'succeeded',
      usage: 'off_session',
      clientSecret: expect.stringMatching(/^seti_.+_secret_/),
      paymentMethod: expect.stringMatching(/^pm_/),
      nextAction: null,
      lastSetupError: null,
      metadata: {},
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const list = await get(`/v1/customers/${customerId}/payment-methods`);
    expect(list).toEqual({
      data: [
        {
          id: si.paymentMethod,
          type: 'card',
          card: {
            brand: 'visa',
            last4: '4242',
            expMonth: expect.any(Number),
            expYear: expect.any(Number),
            funding: 'credit',
            country: 'US',
          },
          isDefault: false,
          createdAt: expect.any(String),
        },
      ],
      hasMore: false,
      nextCursor: null,
    });
    expect((await stripe.paymentMethods.retrieve(si.paymentMethod)).customer).toBe(await stripeCustomerOf(customerId));
  });

  it('sets the default card, and an off-session charge without paymentMethod uses it', async () => {
    const customerId = await createCustomer(t, 'default@example.com');
    const pm = await saveDefaultCard(customerId, 'pm_card_visa');
    expect(await get(`/v1/customers/${customerId}`)).toMatchObject({ defaultPaymentMethod: pm });
    expect(await cards(customerId)).toEqual([expect.objectContaining({ id: pm, isDefault: true })]);
    const stripeCustomer = (await stripe.customers.retrieve(await stripeCustomerOf(customerId))) as Stripe.Customer;
    expect(stripeCustomer.invoice_settings.default_payment_method).toBe(pm);

    const charge = await chargeOffSession(customerId);
    expect(charge.statusCode).toBe(201);
    expect(charge.json()).toMatchObject({ status: 'succeeded', amountReceived: 2500, customerId, clientSecret: expect.any(String) });
    const intent = await stripe.paymentIntents.retrieve(charge.json().stripePaymentIntentId);
    expect(intent.payment_method).toBe(pm);
  });

  it('an off-session charge for a customer without a default card is a 400 naming paymentMethod', async () => {
    const customerId = await createCustomer(t, 'nodefault@example.com');
    const res = await chargeOffSession(customerId);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'paymentMethod' }] });
    const noConfirm = await post('/v1/payments', { amount: 2500, currency: 'usd', customerId, offSession: true });
    expect(noConfirm.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'confirm' }] });
  });

  it('the 4000002500003155 card needs 3-D Secure on setup, then charges off-session', async () => {
    const customerId = await createCustomer(t, 'setup3ds@example.com');
    const res = await post('/v1/setup-intents', {
      customerId,
      paymentMethod: 'pm_card_authenticationRequiredOnSetup',
      confirm: true,
      returnUrl: 'https://shop.example/saved',
    });
    expect(res.json()).toMatchObject({
      status: 'requires_action',
      nextAction: { type: 'redirect_to_url', redirectToUrl: { url: expect.stringContaining('/_emulator/3ds/seti_') } },
    });
    await emulator.later();
    await emulator.threeDSecure(res.json().stripeSetupIntentId, 'success');
    const si = await until(
      'setup succeeded',
      () => get(`/v1/setup-intents/${res.json().id}`),
      (s) => s.status === 'succeeded',
    );
    expect(await cards(customerId)).toEqual([
      expect.objectContaining({ id: si.paymentMethod, card: expect.objectContaining({ last4: '3155' }) }),
    ]);
    await t.request({ method: 'PATCH', url: `/v1/customers/${customerId}`, payload: { defaultPaymentMethod: si.paymentMethod } });
    const charge = await chargeOffSession(customerId);
    expect(charge.statusCode).toBe(201);
    expect(charge.json().status).toBe('succeeded');
  });

  it('the 4000002760003184 card, once saved, answers 402 authentication_required off-session; the customer comes back on-session', async () => {
    const customerId = await createCustomer(t, 'always3ds@example.com');
    const pm = await saveDefaultCard(customerId, 'pm_card_authenticationRequired');
    const charge = await chargeOffSession(customerId);
    expect(charge.statusCode).toBe(402);
    expect(charge.json()).toMatchObject({ code: 'authentication_required', paymentId: expect.any(String) });
    const paymentId = charge.json().paymentId;
    expect(await get(`/v1/payments/${paymentId}`)).toMatchObject({
      status: 'requires_payment_method',
      lastPaymentError: { code: 'authentication_required', paymentMethod: pm },
    });

    const back = await post(`/v1/payments/${paymentId}/confirm`, { returnUrl: 'https://shop.example/pay/done' });
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({ status: 'requires_action', nextAction: { type: 'redirect_to_url' } });
    await emulator.later();
    await emulator.threeDSecure(back.json().stripePaymentIntentId, 'success');
    await until(
      'payment succeeded by webhook',
      () => get(`/v1/payments/${paymentId}`),
      (p) => p.status === 'succeeded',
    );
  });

  it('detaching removes the card here and at Stripe, and it stops being the default', async () => {
    const customerId = await createCustomer(t, 'detach@example.com');
    const pm = await saveDefaultCard(customerId, 'pm_card_mastercard');
    const res = await t.request({ method: 'DELETE', url: `/v1/customers/${customerId}/payment-methods/${pm}` });
    expect(res.statusCode).toBe(204);
    expect(await cards(customerId)).toEqual([]);
    // Our fresh answer clears it at once; a customer.updated of the earlier PATCH still in flight may set it back
    // for a moment (the emulator's shifted clock makes it look newer), and Stripe's own unset event settles it.
    await until(
      'default cleared',
      () => get(`/v1/customers/${customerId}`),
      (c) => c.defaultPaymentMethod === null,
    );
    expect((await stripe.paymentMethods.retrieve(pm)).customer).toBeNull();
    // Consumers hear of it: the customer's latest customer.updated shows no default card.
    const updates = await until(
      'customer.updated without the default',
      async () => (await get(`/v1/events?objectId=${customerId}&type=customer.updated&limit=100`)).data as Array<Record<string, any>>,
      (es) => es.length > 0 && es[es.length - 1].data.object.defaultPaymentMethod === null,
    );
    expect(updates.some((e) => e.data.object.defaultPaymentMethod === pm)).toBe(true);
    const again = await t.request({ method: 'DELETE', url: `/v1/customers/${customerId}/payment-methods/${pm}` });
    expect(again.statusCode).toBe(404);
  });

  it('raw card data with an sk_ key is refused by the emulator', async () => {
    const err = await stripe.paymentMethods
      .create({ type: 'card', card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' } })
      .catch((e: Stripe.errors.StripeError) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((err as Error).message).toMatch(/Sending credit card numbers directly to the Stripe API is generally unsafe/);
  });

  it('setup_intent, payment_method and customer.updated webhooks mirror what happens at Stripe', async () => {
    const customerId = await createCustomer(t, 'mirror@example.com');
    const stripeCustomer = await stripeCustomerOf(customerId);
    // A SetupIntent finished in the browser (3-D Secure page) reaches us only by webhook.
    const created = await post('/v1/setup-intents', {
      customerId,
      paymentMethod: 'pm_card_authenticationRequired',
      confirm: true,
      returnUrl: 'https://shop.example/s',
    });
    await emulator.later();
    await emulator.threeDSecure(created.json().stripeSetupIntentId, 'failure');
    const failed = await until(
      'setup_failed mirrored',
      () => get(`/v1/setup-intents/${created.json().id}`),
      (s) => s.lastSetupError !== null,
    );
    expect(failed).toMatchObject({ status: 'requires_payment_method', lastSetupError: { code: 'setup_intent_authentication_failure' } });

    // Cards attached, made default and detached directly at Stripe (the dashboard, another service).
    const pm = await stripe.paymentMethods.attach('pm_card_amex', { customer: stripeCustomer });
    await until(
      'attached mirrored',
      () => cards(customerId),
      (list) => list.some((c) => c.id === pm.id),
    );
    await emulator.later();
    await stripe.customers.update(stripeCustomer, { invoice_settings: { default_payment_method: pm.id } });
    await until(
      'default mirrored',
      () => cards(customerId),
      (list) => list.some((c) => c.id === pm.id && c.isDefault),
    );
    await emulator.later();
    await stripe.paymentMethods.detach(pm.id);
    await until(
      'detached mirrored',
      () => cards(customerId),
      (list) => list.length === 0,
    );

    const canceled = await post(`/v1/setup-intents/${created.json().id}/cancel`);
    expect(canceled.json()).toMatchObject({ status: 'canceled' });
    await until(
      'canceled stays canceled',
      () => get(`/v1/setup-intents/${created.json().id}?sync=true`),
      (s) => s.status === 'canceled',
    );
  });

  it('every new POST honours Idempotency-Key: create, confirm and cancel replay their first answer', async () => {
    const customerId = await createCustomer(t, 'idem@example.com');
    const key = { 'idempotency-key': `si-create-${Date.now()}` };
    const first = await post('/v1/setup-intents', { customerId }, key);
    const second = await post('/v1/setup-intents', { customerId }, key);
    expect(first.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
    const id = first.json().id;
    const confirmKey = { 'idempotency-key': `si-confirm-${Date.now()}` };
    const confirmed = await post(`/v1/setup-intents/${id}/confirm`, { paymentMethod: 'pm_card_visa' }, confirmKey);
    const replayed = await post(`/v1/setup-intents/${id}/confirm`, { paymentMethod: 'pm_card_visa' }, confirmKey);
    expect(confirmed.json()).toMatchObject({ status: 'succeeded' });
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.json()).toEqual(confirmed.json());
    const other = await post('/v1/setup-intents', { customerId }, { 'idempotency-key': `si-cancel-${Date.now()}` });
    const cancelKey = { 'idempotency-key': `si-cancel2-${Date.now()}` };
    const c1 = await post(`/v1/setup-intents/${other.json().id}/cancel`, {}, cancelKey);
    const c2 = await post(`/v1/setup-intents/${other.json().id}/cancel`, {}, cancelKey);
    expect(c1.json()).toMatchObject({ status: 'canceled' });
    expect(c2.headers['idempotent-replayed']).toBe('true');
    const offKey = { 'idempotency-key': `offsession-${Date.now()}` };
    await t.request({
      method: 'PATCH',
      url: `/v1/customers/${customerId}`,
      payload: { defaultPaymentMethod: confirmed.json().paymentMethod },
    });
    const p1 = await post('/v1/payments', { amount: 900, currency: 'usd', customerId, confirm: true, offSession: true }, offKey);
    const p2 = await post('/v1/payments', { amount: 900, currency: 'usd', customerId, confirm: true, offSession: true }, offKey);
    expect(p2.headers['idempotent-replayed']).toBe('true');
    expect(p2.json().id).toBe(p1.json().id);
    expect((await get(`/v1/payments?customerId=${customerId}`)).data).toHaveLength(1);
  });

  it('a declined card fails the setup with a 402 and lastSetupError; bad input is a 400 naming the field', async () => {
    const customerId = await createCustomer(t, 'declined-setup@example.com');
    const res = await post('/v1/setup-intents', { customerId, paymentMethod: 'pm_card_chargeDeclined', confirm: true });
    expect(res.statusCode).toBe(402);
    expect(res.json()).toMatchObject({ declineCode: 'generic_decline', setupIntentId: expect.any(String) });
    expect(await get(`/v1/setup-intents/${res.json().setupIntentId}`)).toMatchObject({
      status: 'requires_payment_method',
      lastSetupError: { declineCode: 'generic_decline' },
    });
    const bad = await post('/v1/setup-intents', { customerId, paymentMethod: '4242424242424242', usage: 'sometimes' });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['paymentMethod', 'usage']);
  });

  it('a subscription for a customer with a default card charges it at once, without a client secret', async () => {
    const customerId = await createCustomer(t, 'sub-default@example.com');
    await saveDefaultCard(customerId, 'pm_card_visa');
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1200,
      recurring: { interval: 'month' },
      product_data: { name: 'Basic' },
    });
    const res = await post('/v1/subscriptions', { customerId, priceId: price.id });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'active' });
    expect(res.json().clientSecret ?? null).toBeNull();
  });
});
