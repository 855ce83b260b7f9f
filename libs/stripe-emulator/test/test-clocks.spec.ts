import Stripe from 'stripe';
import { eventTypes, useEmulator, waitFor } from './helpers';

const h = useEmulator({ asyncDelayMs: 50 });
const DAY = 86400;
const START = Date.UTC(2027, 0, 15, 12) / 1000;

async function advance(clock: Stripe.TestHelpers.TestClock, to: number): Promise<Stripe.TestHelpers.TestClock> {
  const advancing = await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: to });
  expect(advancing).toMatchObject({ status: 'advancing', status_details: { advancing: { target_frozen_time: to } } });
  return waitFor(async () => {
    const current = await h.stripe.testHelpers.testClocks.retrieve(clock.id);
    return current.status === 'ready' && current;
  });
}

/** A clock, a customer on it with `card` as default, and a monthly subscription. */
async function monthlyOnClock(card = 'pm_card_visa', extra: Partial<Stripe.SubscriptionCreateParams> = {}) {
  const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: START, name: 'renewals' });
  const customer = await h.stripe.customers.create({
    test_clock: clock.id,
    payment_method: card,
    invoice_settings: { default_payment_method: card },
  });
  const price = await h.stripe.prices.create({
    currency: 'usd',
    unit_amount: 900,
    recurring: { interval: 'month' },
    product_data: { name: 'Monthly' },
  });
  const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], ...extra });
  return { clock, customer, price, sub };
}

describe('Test clocks', () => {
  beforeEach(() => h.reset());

  it('create, retrieve, list, advance (advancing, then ready) and delete', async () => {
    const clock = await h.stripe.testHelpers.testClocks.create({ frozen_time: START, name: 'c1' });
    expect(clock).toMatchObject({ object: 'test_helpers.test_clock', frozen_time: START, status: 'ready', name: 'c1' });
    expect((await h.stripe.testHelpers.testClocks.list()).data.map((c) => c.id)).toEqual([clock.id]);
    const ready = await advance(clock, START + DAY);
    expect(ready.frozen_time).toBe(START + DAY);
    const backwards = await h.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START }).catch((e) => e);
    expect(backwards).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(backwards.param).toBe('frozen_time');
    expect(await eventTypes(h.stripe, { type: 'test_helpers.test_clock.*' })).toEqual([
      'test_helpers.test_clock.created',
      'test_helpers.test_clock.advancing',
      'test_helpers.test_clock.ready',
    ]);
    expect(await h.stripe.testHelpers.testClocks.del(clock.id)).toMatchObject({ id: clock.id, deleted: true });
    expect((await h.stripe.testHelpers.testClocks.retrieve(clock.id).catch((e) => e)).statusCode).toBe(404);
  });

  it('customers and subscriptions on a clock live at its frozen time', async () => {
    const { clock, customer, sub } = await monthlyOnClock();
    expect(customer).toMatchObject({ test_clock: clock.id, created: START });
    expect(sub).toMatchObject({ status: 'active', test_clock: clock.id, start_date: START });
    expect(sub.items.data[0].current_period_start).toBe(START);
    expect(sub.items.data[0].current_period_end).toBe(Date.UTC(2027, 1, 15, 12) / 1000);
    expect((await h.stripe.customers.list({ test_clock: clock.id })).data.map((c) => c.id)).toEqual([customer.id]);
  });

  it('a month later the subscription renews: invoice created, finalized and paid with the default card', async () => {
    const { clock, customer, sub } = await monthlyOnClock();
    const periodEnd = sub.items.data[0].current_period_end;
    await advance(clock, periodEnd + DAY);
    const renewed = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice.payments.data.payment.payment_intent'] });
    expect(renewed.status).toBe('active');
    expect(renewed.items.data[0].current_period_start).toBe(periodEnd);
    const invoice = renewed.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', amount_paid: 900, created: periodEnd });
    expect(invoice.period_start).toBe(periodEnd);
    const intent = invoice.payments!.data[0].payment.payment_intent as Stripe.PaymentIntent;
    expect(intent).toMatchObject({ status: 'succeeded', amount: 900, customer: customer.id });
    const types = await eventTypes(h.stripe);
    const tail = types.slice(types.indexOf('test_helpers.test_clock.advancing'));
    expect(tail).toEqual([
      'test_helpers.test_clock.advancing',
      'customer.subscription.updated',
      'invoice.created',
      'payment_intent.created',
      'invoice.finalized',
      'charge.succeeded',
      'payment_intent.succeeded',
      'invoice.paid',
      'invoice.payment_succeeded',
      'test_helpers.test_clock.ready',
    ]);
  });

  it('a failing default card: past_due, retried on schedule, then canceled when retries run out', async () => {
    const { clock, sub } = await monthlyOnClock();
    await h.stripe.subscriptions.update(sub.id, { default_payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds' });
    const periodEnd = sub.items.data[0].current_period_end;
    await advance(clock, periodEnd + 60);
    const pastDue = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(pastDue.status).toBe('past_due');
    const invoice = pastDue.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1, next_payment_attempt: periodEnd + 3 * DAY });
    await advance(clock, periodEnd + 20 * DAY);
    const canceled = await h.stripe.subscriptions.retrieve(sub.id);
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_details: { reason: 'payment_failed' } });
    expect((await h.stripe.invoices.retrieve(invoice.id)).attempt_count).toBe(4);
    expect(await eventTypes(h.stripe, { type: 'invoice.payment_failed' })).toHaveLength(4);
  });

  it('a retry charges the card that replaced the failing one', async () => {
    const { clock, customer, sub } = await monthlyOnClock();
    await h.stripe.subscriptions.update(sub.id, { default_payment_method: 'pm_card_chargeDeclined' });
    const periodEnd = sub.items.data[0].current_period_end;
    await advance(clock, periodEnd + 60);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
    const good = await h.stripe.paymentMethods.attach('pm_card_mastercard', { customer: customer.id });
    await h.stripe.subscriptions.update(sub.id, { default_payment_method: good.id });
    await advance(clock, periodEnd + 4 * DAY);
    const recovered = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(recovered.status).toBe('active');
    expect(recovered.latest_invoice).toMatchObject({ status: 'paid', attempt_count: 2, next_payment_attempt: null });
  });

  it('a trial ends: trial_will_end three days before, then the first paid invoice', async () => {
    const { clock, sub } = await monthlyOnClock('pm_card_visa', { trial_period_days: 7 });
    expect(sub.status).toBe('trialing');
    await advance(clock, START + 5 * DAY);
    expect(await eventTypes(h.stripe, { type: 'customer.subscription.trial_will_end' })).toHaveLength(1);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('trialing');
    await advance(clock, START + 8 * DAY);
    const active = await h.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
    expect(active.status).toBe('active');
    expect(active.items.data[0].current_period_start).toBe(START + 7 * DAY);
    expect(active.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 900, billing_reason: 'subscription_cycle' });
  });

  it('cancel_at_period_end ends the subscription when the clock passes the period end', async () => {
    const { clock, sub } = await monthlyOnClock();
    await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    await advance(clock, sub.items.data[0].current_period_end + DAY);
    const ended = await h.stripe.subscriptions.retrieve(sub.id);
    expect(ended).toMatchObject({ status: 'canceled', ended_at: sub.items.data[0].current_period_end });
    expect(await eventTypes(h.stripe, { type: 'invoice.created' })).toHaveLength(1);
  });

  it('deleting the clock deletes its customers and cancels their subscriptions', async () => {
    const { clock, customer, sub } = await monthlyOnClock();
    const other = await h.stripe.customers.create({ email: 'not-on-clock@example.com' });
    await h.stripe.testHelpers.testClocks.del(clock.id);
    expect(await h.stripe.customers.retrieve(customer.id)).toMatchObject({ id: customer.id, deleted: true });
    expect((await h.stripe.customers.retrieve(other.id)).deleted).toBeUndefined();
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
    expect(await eventTypes(h.stripe, { types: ['customer.deleted', 'test_helpers.test_clock.deleted'] })).toEqual([
      'customer.deleted',
      'test_helpers.test_clock.deleted',
    ]);
  });
});
