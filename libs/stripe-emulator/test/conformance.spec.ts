import Stripe from 'stripe';
import { Conformance, webhookSink } from './conformance';
import { useEmulator, waitFor } from './helpers';

const h = useEmulator({ asyncDelayMs: 20 });

/** Every implemented route, success and error paths, through the SDK; every answer and event checked. */
describe('Conformance with the pinned API version (shapes generated from the SDK)', () => {
  it('answers, errors and event payloads follow the declared types', async () => {
    const c = new Conformance();
    const s = h.stripe;
    const sink = await webhookSink();
    const missing = 'x_missing';

    const endpoint = await c.ok('POST /v1/webhook_endpoints', () => s.webhookEndpoints.create({ url: sink.url, enabled_events: ['*'] }));
    await c.ok('GET /v1/webhook_endpoints/*', () => s.webhookEndpoints.retrieve(endpoint.id));
    await c.ok('POST /v1/webhook_endpoints/*', () => s.webhookEndpoints.update(endpoint.id, { description: 'conformance' }));
    await c.ok('GET /v1/webhook_endpoints', () => s.webhookEndpoints.list());
    await c.fails('POST /v1/webhook_endpoints', 400, () => s.webhookEndpoints.create({ url: 'ftp://x', enabled_events: ['*'] }));

    // Customers and payment methods.
    const customer = await c.ok('POST /v1/customers', () =>
      s.customers.create({
        email: 'c@example.com',
        name: 'Conformance',
        payment_method: 'pm_card_visa',
        invoice_settings: { default_payment_method: 'pm_card_visa' },
        address: { city: 'Paris', country: 'FR' },
      }),
    );
    await c.fails('POST /v1/customers', 400, () => s.customers.create({ bogus: 1 } as never), {
      code: 'parameter_unknown',
      param: 'bogus',
    });
    await c.ok('GET /v1/customers/*', () => s.customers.retrieve(customer.id));
    await c.fails('GET /v1/customers/*', 404, () => s.customers.retrieve(missing), { code: 'resource_missing' });
    await c.ok('POST /v1/customers/*', () => s.customers.update(customer.id, { metadata: { a: '1' }, phone: '+33100000000' }));
    await c.ok('GET /v1/customers', () => s.customers.list({ email: 'c@example.com' }));
    const pms = await c.ok('GET /v1/customers/*/payment_methods', () => s.customers.listPaymentMethods(customer.id));
    const pmId = pms.data[0].id;
    await c.ok('GET /v1/payment_methods', () => s.paymentMethods.list({ customer: customer.id }));
    await c.ok('GET /v1/payment_methods/*', () => s.paymentMethods.retrieve(pmId));
    await c.ok('POST /v1/payment_methods/*', () => s.paymentMethods.update(pmId, { metadata: { b: '2' } }));
    const spare = await c.ok('POST /v1/payment_methods/*/attach', () =>
      s.paymentMethods.attach('pm_card_mastercard', { customer: customer.id }),
    );
    await c.ok('POST /v1/payment_methods/*/detach', () => s.paymentMethods.detach(spare.id));
    await c.fails('POST /v1/payment_methods/*/detach', 400, () => s.paymentMethods.detach(spare.id));

    // Stripe.js's calls: a raw card with the publishable key (refused with a secret key), SetupIntents.
    const browser = new Stripe(h.emulator.publishableKey, { host: '127.0.0.1', port: h.emulator.port, protocol: 'http' });
    const card = { number: '4242424242424242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' };
    const typed = await c.ok('POST /v1/payment_methods', () => browser.paymentMethods.create({ type: 'card', card }));
    await c.fails('POST /v1/payment_methods', 400, () => s.paymentMethods.create({ type: 'card', card }));
    const si = await c.ok('POST /v1/setup_intents', () => s.setupIntents.create({ customer: customer.id, usage: 'off_session' }));
    await c.fails('POST /v1/setup_intents', 400, () => s.setupIntents.create({ customer: customer.id, bogus: 1 } as never), {
      code: 'parameter_unknown',
    });
    await c.ok('GET /v1/setup_intents/*', () => s.setupIntents.retrieve(si.id));
    await c.ok('POST /v1/setup_intents/*', () => s.setupIntents.update(si.id, { metadata: { s: '1' } }));
    await c.ok('POST /v1/setup_intents/*/confirm', () => s.setupIntents.confirm(si.id, { payment_method: typed.id }));
    await c.fails('POST /v1/setup_intents/*/cancel', 400, () => s.setupIntents.cancel(si.id));
    const unused = await c.ok('POST /v1/setup_intents', () => s.setupIntents.create({ customer: customer.id }));
    await c.ok('POST /v1/setup_intents/*/cancel', () => s.setupIntents.cancel(unused.id));
    await c.ok('GET /v1/setup_intents', () => s.setupIntents.list({ customer: customer.id }));
    await c.fails('POST /v1/setup_intents', 402, () =>
      s.setupIntents.create({ customer: customer.id, payment_method: 'pm_card_chargeDeclined', confirm: true }),
    );

    // Payment intents: success, manual capture, decline, 3-D Secure, cancel.
    const pi = await c.ok('POST /v1/payment_intents', () =>
      s.paymentIntents.create({
        amount: 2000,
        currency: 'usd',
        customer: customer.id,
        payment_method: 'pm_card_visa',
        confirm: true,
        allowed_payment_method_types: ['card'],
      }),
    );
    await c.fails(
      'POST /v1/payment_intents',
      400,
      () => s.paymentIntents.create({ amount: 100, currency: 'usd', payment_method_types: ['card'] } as never),
      {
        code: 'parameter_unknown',
        param: 'payment_method_types',
      },
    );
    await c.fails('POST /v1/payment_intents', 402, () =>
      s.paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true }),
    );
    await c.ok('GET /v1/payment_intents/*', () => s.paymentIntents.retrieve(pi.id, { expand: ['latest_charge', 'customer'] }));
    await c.ok('GET /v1/payment_intents', () => s.paymentIntents.list({ customer: customer.id }));
    const manual = await c.ok('POST /v1/payment_intents', () =>
      s.paymentIntents.create({ amount: 3000, currency: 'eur', capture_method: 'manual', excluded_payment_method_types: ['sepa_debit'] }),
    );
    await c.ok('POST /v1/payment_intents/*', () =>
      s.paymentIntents.update(manual.id, { description: 'manual', payment_method: 'pm_card_visa' }),
    );
    await c.fails(
      'POST /v1/payment_intents/*',
      400,
      () => s.paymentIntents.update(manual.id, { payment_method_types: ['card'] } as never),
      {
        code: 'parameter_unknown',
      },
    );
    await c.ok('POST /v1/payment_intents/*/confirm', () => s.paymentIntents.confirm(manual.id));
    await c.fails('POST /v1/payment_intents/*/confirm', 400, () => s.paymentIntents.confirm(manual.id));
    await c.ok('POST /v1/payment_intents/*/capture', () => s.paymentIntents.capture(manual.id, { amount_to_capture: 2500 }));
    await c.fails('POST /v1/payment_intents/*/capture', 400, () => s.paymentIntents.capture(manual.id));
    const threeDs = await c.ok('POST /v1/payment_intents', () =>
      s.paymentIntents.create({
        amount: 1500,
        currency: 'usd',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
        return_url: 'https://shop.test/r',
      }),
    );
    await c.ok('POST /v1/payment_intents/*/cancel', () => s.paymentIntents.cancel(threeDs.id, { cancellation_reason: 'abandoned' }));
    await c.fails('POST /v1/payment_intents/*/cancel', 400, () => s.paymentIntents.cancel(threeDs.id));

    // Charges and refunds (one pending refund that settles asynchronously).
    const charges = await c.ok('GET /v1/charges', () => s.charges.list({ payment_intent: pi.id }));
    await c.ok('GET /v1/charges/*', () => s.charges.retrieve(charges.data[0].id, { expand: ['payment_intent'] }));
    await c.ok('POST /v1/charges/*', () => s.charges.update(charges.data[0].id, { description: 'conformance' }));
    const refund = await c.ok('POST /v1/refunds', () =>
      s.refunds.create({ payment_intent: pi.id, amount: 500, reason: 'requested_by_customer' }),
    );
    await c.fails('POST /v1/refunds', 400, () => s.refunds.create({ payment_intent: pi.id, amount: 999999 }), { code: 'amount_too_large' });
    await c.ok('GET /v1/refunds/*', () => s.refunds.retrieve(refund.id));
    await c.ok('POST /v1/refunds/*', () => s.refunds.update(refund.id, { metadata: { r: '1' } }));
    await c.ok('GET /v1/refunds', () => s.refunds.list({ payment_intent: pi.id }));
    await c.fails('POST /v1/refunds/*/cancel', 400, () => s.refunds.cancel(refund.id));
    const slow = await c.ok('POST /v1/payment_intents', () =>
      s.paymentIntents.create({ amount: 1200, currency: 'usd', payment_method: 'pm_card_refundFail', confirm: true }),
    );
    await c.ok('POST /v1/refunds', () => s.refunds.create({ payment_intent: slow.id }));

    // Catalogue, subscriptions, invoices.
    const product = await c.ok('POST /v1/products', () => s.products.create({ name: 'Pro', metadata: { tier: 'pro' } }));
    await c.ok('GET /v1/products/*', () => s.products.retrieve(product.id));
    await c.ok('POST /v1/products/*', () => s.products.update(product.id, { description: 'Pro plan' }));
    await c.ok('GET /v1/products', () => s.products.list({ active: true }));
    const price = await c.ok('POST /v1/prices', () =>
      s.prices.create({ product: product.id, currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' }, lookup_key: 'pro' }),
    );
    await c.fails(
      'POST /v1/prices',
      400,
      () => s.prices.create({ product: product.id, currency: 'usd', unit_amount: 100, recurring: { bogus: 1 } } as never),
      {
        code: 'parameter_unknown',
        param: 'recurring[bogus]',
      },
    );
    await c.ok('GET /v1/prices/*', () => s.prices.retrieve(price.id));
    await c.ok('POST /v1/prices/*', () => s.prices.update(price.id, { nickname: 'monthly' }));
    await c.ok('GET /v1/prices', () => s.prices.list({ lookup_keys: ['pro'] }));
    const sub = await c.ok('POST /v1/subscriptions', () =>
      s.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        billing_mode: { type: 'flexible' },
        expand: ['latest_invoice'],
      }),
    );
    await c.fails(
      'POST /v1/subscriptions',
      400,
      () => s.subscriptions.create({ customer: customer.id, items: [{ price: price.id, bogus: 1 }] } as never),
      {
        code: 'parameter_unknown',
        param: 'items[0][bogus]',
      },
    );
    const trial = await c.ok('POST /v1/subscriptions', () =>
      s.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 }),
    );
    const incomplete = await c.ok('POST /v1/subscriptions', () =>
      s.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        payment_behavior: 'default_incomplete',
        expand: ['latest_invoice.payments.data.payment.payment_intent'],
      }),
    );
    await c.ok('GET /v1/subscriptions/*', () => s.subscriptions.retrieve(sub.id, { expand: ['latest_invoice', 'customer'] }));
    await c.ok('POST /v1/subscriptions/*', () => s.subscriptions.update(sub.id, { cancel_at_period_end: true }));
    await c.ok('GET /v1/subscriptions', () => s.subscriptions.list({ customer: customer.id, status: 'all' }));
    await c.ok('DELETE /v1/subscriptions/*', () => s.subscriptions.cancel(trial.id));
    await c.fails('DELETE /v1/subscriptions/*', 400, () => s.subscriptions.cancel(trial.id));
    const invoiceId = (incomplete.latest_invoice as Stripe.Invoice).id;
    await c.ok('GET /v1/invoices/*', () => s.invoices.retrieve(invoiceId, { expand: ['payments'] }));
    await c.ok('GET /v1/invoices', () => s.invoices.list({ customer: customer.id }));
    await c.ok('GET /v1/invoice_payments', () => s.invoicePayments.list({ invoice: invoiceId }));
    await c.ok('POST /v1/invoices/*/pay', () => s.invoices.pay(invoiceId));
    await c.fails('POST /v1/invoices/*/pay', 400, () => s.invoices.pay(invoiceId));

    // Test clocks: a customer on a clock, a renewal by advancing it, then deleting it with its customer.
    const frozen = Math.floor(Date.now() / 1000);
    const clock = await c.ok('POST /v1/test_helpers/test_clocks', () =>
      s.testHelpers.testClocks.create({ frozen_time: frozen, name: 'conformance' }),
    );
    await c.fails('POST /v1/test_helpers/test_clocks', 400, () => s.testHelpers.testClocks.create({} as never), {
      code: 'parameter_missing',
    });
    const onClock = await c.ok('POST /v1/customers', () =>
      s.customers.create({
        test_clock: clock.id,
        payment_method: 'pm_card_visa',
        invoice_settings: { default_payment_method: 'pm_card_visa' },
      }),
    );
    const clockSub = await c.ok('POST /v1/subscriptions', () =>
      s.subscriptions.create({ customer: onClock.id, items: [{ price: price.id }] }),
    );
    await c.ok('GET /v1/test_helpers/test_clocks/*', () => s.testHelpers.testClocks.retrieve(clock.id));
    await c.ok('GET /v1/test_helpers/test_clocks', () => s.testHelpers.testClocks.list());
    const target = clockSub.items.data[0].current_period_end + 3600;
    await c.ok('POST /v1/test_helpers/test_clocks/*/advance', () => s.testHelpers.testClocks.advance(clock.id, { frozen_time: target }));
    await c.fails('POST /v1/test_helpers/test_clocks/*/advance', 400, () =>
      s.testHelpers.testClocks.advance(clock.id, { frozen_time: frozen - 60 }),
    );
    await waitFor(() => s.testHelpers.testClocks.retrieve(clock.id).then((k) => k.status === 'ready'));
    await c.ok('DELETE /v1/test_helpers/test_clocks/*', () => s.testHelpers.testClocks.del(clock.id));
    await c.fails('DELETE /v1/test_helpers/test_clocks/*', 404, () => s.testHelpers.testClocks.del(clock.id), { code: 'resource_missing' });

    // Deletions, then events as listed and as delivered.
    const doomed = await c.ok('POST /v1/customers', () => s.customers.create({ email: 'gone@example.com' }));
    await c.ok('DELETE /v1/customers/*', () => s.customers.del(doomed.id));
    const events = await c.ok('GET /v1/events', () => s.events.list({ limit: 100 }));
    await c.ok('GET /v1/events/*', () => s.events.retrieve(events.data[0].id));
    await c.fails('GET /v1/events', 400, () => s.events.list({ limit: 1000 }));
    await waitFor(() => s.refunds.list({ payment_intent: slow.id }).then((l) => l.data[0]?.status === 'failed'));
    for await (const event of s.events.list({ limit: 100 })) c.event(JSON.parse(JSON.stringify(event)), 'listed');
    const total = (await h.control('GET', '/requests')).body.data.length;
    await waitFor(async () => sink.bodies.length >= c.eventsChecked, 15000);
    for (const body of sink.bodies) c.event(JSON.parse(body), 'delivered');
    await c.ok('DELETE /v1/webhook_endpoints/*', () => s.webhookEndpoints.del(endpoint.id));
    await sink.close();

    process.stdout.write(`${c.summary()} over ${total} requests\n`);
    expect(c.failedCalls).toEqual([]);
    expect(c.uncovered()).toEqual([]);
    expect(c.report.problems.slice(0, 50)).toEqual([]);
    expect(c.report.objects).toBeGreaterThan(100);
  });
});
