import Stripe from 'stripe';
import { eventTypes, useEmulator } from './helpers';

const h = useEmulator();

async function monthlyPrice(amount = 1500): Promise<Stripe.Price> {
  return h.stripe.prices.create({
    currency: 'usd',
    unit_amount: amount,
    recurring: { interval: 'month' },
    product_data: { name: 'Pro' },
    lookup_key: `pro_${amount}`,
  });
}

describe('Subscriptions and invoices', () => {
  beforeEach(() => h.reset());

  it('default_incomplete: open invoice with an intent, activated once the intent is paid', async () => {
    const price = await monthlyPrice();
    const customer = await h.stripe.customers.create({ email: 'sub@example.com' });
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
      payment_settings: { save_default_payment_method: 'on_subscription' },
      // The pinned version has no invoice.payment_intent: the intent is the invoice's default payment.
      expand: ['latest_invoice.payments.data.payment.payment_intent'],
    });
    expect(sub.status).toBe('incomplete');
    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice).not.toHaveProperty('payment_intent');
    const intent = invoice.payments!.data[0].payment.payment_intent as Stripe.PaymentIntent;
    expect(invoice).toMatchObject({
      status: 'open',
      amount_due: 1500,
      billing_reason: 'subscription_create',
      customer: customer.id,
    });
    expect(intent).toMatchObject({
      object: 'payment_intent',
      status: 'requires_payment_method',
      amount: 1500,
    });
    expect(invoice.confirmation_secret).toEqual({
      client_secret: intent.client_secret,
      type: 'payment_intent',
    });
    expect(sub.items.data[0].current_period_end).toBeGreaterThan(sub.items.data[0].current_period_start);

    const paid = await h.stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
    const payments = await h.stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: paid.id },
    });
    expect(payments.data.map((p) => [p.invoice, p.status, p.amount_paid])).toEqual([[invoice.id, 'paid', 1500]]);
    const active = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(active.status).toBe('active');
    expect(active.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 1500, amount_remaining: 0 });
    expect(active.default_payment_method).toMatch(/^pm_/);
    expect(await eventTypes(h.stripe, { types: ['invoice.*', 'customer.subscription.*'] })).toEqual([
      'invoice.created',
      'invoice.finalized',
      'customer.subscription.created',
      'invoice.paid',
      'invoice.payment_succeeded',
      'customer.subscription.updated',
    ]);
    const updated = (await h.stripe.events.list({ type: 'customer.subscription.updated' })).data[0];
    expect(updated.data.previous_attributes).toMatchObject({ status: 'incomplete' });
  });

  it('charges the default payment method at once: active on success, incomplete on decline', async () => {
    const price = await monthlyPrice(2000);
    const good = await h.stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const active = await h.stripe.subscriptions.create({
      customer: good.id,
      items: [{ price: price.id, quantity: 2 }],
    });
    expect(active.status).toBe('active');
    const paidInvoice = await h.stripe.invoices.retrieve(active.latest_invoice as string);
    expect(paidInvoice).toMatchObject({ status: 'paid', amount_paid: 4000 });

    const bad = await h.stripe.customers.create({ email: 'bad@example.com' });
    const sub = await h.stripe.subscriptions.create({
      customer: bad.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
    });
    expect(sub.status).toBe('incomplete');
    const invoice = await h.stripe.invoices.retrieve(sub.latest_invoice as string);
    expect(invoice.status).toBe('open');
    expect(await eventTypes(h.stripe, { type: 'invoice.payment_failed' })).toEqual(['invoice.payment_failed']);

    const strict = await h.stripe.subscriptions
      .create({
        customer: bad.id,
        items: [{ price: price.id }],
        default_payment_method: 'pm_card_visa_chargeDeclined',
        payment_behavior: 'error_if_incomplete',
      })
      .catch((e) => e);
    expect(strict).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(strict.decline_code).toBe('generic_decline');

    const none = await h.stripe.customers.create({});
    const err = await h.stripe.subscriptions.create({ customer: none.id, items: [{ price: price.id }] }).catch((e) => e);
    expect(err.statusCode).toBe(400);
  });

  it('trial: trialing with a $0 paid invoice, then renewals and past_due', async () => {
    const price = await monthlyPrice();
    const customer = await h.stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 14,
      metadata: { plan: 'pro' },
    });
    expect(sub.status).toBe('trialing');
    expect(sub.trial_end! - sub.trial_start!).toBe(14 * 86400);
    expect(await h.stripe.invoices.retrieve(sub.latest_invoice as string)).toMatchObject({
      status: 'paid',
      amount_due: 0,
      amount_paid: 0,
    });

    const renewed = await h.control('POST', `/subscriptions/${sub.id}/advance`);
    expect(renewed.body).toMatchObject({ status: 'active' });
    expect(renewed.body.items.data[0].current_period_start).toBe(sub.trial_end);

    const failed = await h.control('POST', `/subscriptions/${sub.id}/advance`, { outcome: 'fail' });
    expect(failed.body.status).toBe('past_due');
    const invoices = await h.stripe.invoices.list({ subscription: sub.id });
    expect(invoices.data.map((i) => [i.billing_reason, i.status])).toEqual([
      ['subscription_cycle', 'open'],
      ['subscription_cycle', 'paid'],
      ['subscription_create', 'paid'],
    ]);
    expect(await eventTypes(h.stripe, { type: 'invoice.payment_failed' })).toHaveLength(1);

    // A new card fixes the next renewal.
    await h.stripe.subscriptions.update(sub.id, { default_payment_method: 'pm_card_mastercard' });
    const recovered = await h.control('POST', `/subscriptions/${sub.id}/advance`);
    expect(recovered.body.status).toBe('active');
  });

  it('renewal declined by the card moves to past_due; cancel rules and lists', async () => {
    const price = await monthlyPrice();
    const customer = await h.stripe.customers.create({
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const declining = await h.stripe.paymentMethods.attach('pm_card_visa_chargeDeclined', { customer: customer.id });
    await h.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: declining.id } });
    const advanced = await h.control('POST', `/subscriptions/${sub.id}/advance`);
    expect(advanced.body.status).toBe('past_due');

    const atEnd = await h.stripe.subscriptions.update(sub.id, {
      cancel_at_period_end: true,
      metadata: { why: 'price' },
    });
    expect(atEnd).toMatchObject({ cancel_at_period_end: true, metadata: { why: 'price' } });
    const other = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: 'pm_card_visa',
    });
    const canceled = await h.stripe.subscriptions.cancel(other.id);
    expect(canceled.status).toBe('canceled');
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data.map((s) => s.id)).toEqual([sub.id]);
    expect((await h.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data.map((s) => s.id)).toEqual([other.id, sub.id]);
    expect((await h.stripe.subscriptions.list({ status: 'canceled' })).data.map((s) => s.id)).toEqual([other.id]);
    const ended = await h.control('POST', `/subscriptions/${sub.id}/advance`);
    expect(ended.body.status).toBe('canceled');
    expect(await eventTypes(h.stripe, { type: 'customer.subscription.deleted' })).toHaveLength(2);
  });

  it('products and prices: one-time and recurring, lookup keys, lists', async () => {
    const product = await h.stripe.products.create({ name: 'Book', metadata: { sku: 'b1' } });
    const oneTime = await h.stripe.prices.create({ currency: 'usd', unit_amount: 999, product: product.id });
    const yearly = await h.stripe.prices.create({
      currency: 'usd',
      unit_amount: 9900,
      product: product.id,
      recurring: { interval: 'year' },
      lookup_key: 'book_yearly',
    });
    expect(oneTime).toMatchObject({ type: 'one_time', recurring: null, product: product.id });
    expect(yearly.recurring).toMatchObject({ interval: 'year', interval_count: 1 });
    expect((await h.stripe.prices.list({ lookup_keys: ['book_yearly'] })).data.map((p) => p.id)).toEqual([yearly.id]);
    expect((await h.stripe.prices.list({ product: product.id, type: 'one_time' })).data.map((p) => p.id)).toEqual([oneTime.id]);
    const withProduct = await h.stripe.prices.retrieve(yearly.id, { expand: ['product'] });
    expect((withProduct.product as Stripe.Product).name).toBe('Book');
    expect(await eventTypes(h.stripe)).toEqual(['product.created', 'price.created', 'price.created']);
  });
});
