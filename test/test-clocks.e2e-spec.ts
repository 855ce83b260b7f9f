import Stripe from 'stripe';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { until } from './utils/wait';

const DAY = 86400;
const SLOW = 30_000;

// Renewal testing as a team would do it against the sandbox: GET /v1/config names the emulator, a test clock
// is created there with the SDK, our customer lives on it, and advancing the clock renews subscriptions.
// Every local change below arrives by signed webhook only (no ?sync=true).
describe('subscriptions renewing on a Stripe test clock (sandbox, webhooks only)', () => {
  let t: TestApp;
  let stripe: Stripe;
  let priceId: string;

  beforeAll(async () => {
    t = await bootApp({ env: { WEBHOOK_WORKER_POLL_MS: '100', RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'warn' } });
    const config = (await t.request({ url: '/v1/config' })).json();
    expect(config).toMatchObject({ sandbox: true, publishableKey: 'pk_test_emulator', emulatorUrl: expect.stringMatching(/^http:/) });
    const { hostname, port } = new URL(config.emulatorUrl);
    stripe = new Stripe('sk_test_renewals', { host: hostname, port: Number(port), protocol: 'http' });
    priceId = (
      await stripe.prices.create({ currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' }, product_data: { name: 'Pro' } })
    ).id;
  });
  afterAll(() => t?.close());

  const subscription = async (id: string) => (await t.request({ url: `/v1/subscriptions/${id}` })).json();

  /** A clock at now, a customer of ours on it, and a monthly subscription paid with pm_card_visa. */
  async function subscribedOnClock(extra: object = {}) {
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000) });
    const customer = await t.request({
      method: 'POST',
      url: '/v1/customers',
      payload: { email: 'clock@example.com', testClock: clock.id },
    });
    expect(customer.statusCode).toBe(201);
    expect((await stripe.customers.retrieve(customer.json().stripeCustomerId)) as Stripe.Customer).toMatchObject({ test_clock: clock.id });
    const created = await t.request({
      method: 'POST',
      url: '/v1/subscriptions',
      payload: { customerId: customer.json().id, priceId, paymentMethod: 'pm_card_visa', ...extra },
    });
    expect(created.statusCode).toBe(201);
    return { clock, customerId: customer.json().id as string, sub: created.json() };
  }

  async function advance(clock: Stripe.TestHelpers.TestClock, to: number): Promise<void> {
    expect((await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: to })).status).toBe('advancing');
    await until(
      'the test clock to be ready',
      () => stripe.testHelpers.testClocks.retrieve(clock.id),
      (c) => c.status === 'ready',
      SLOW,
    );
  }

  it('a month later: renewal invoice paid, invoice.paid delivered, the local subscription shows the new period', async () => {
    const { clock, sub } = await subscribedOnClock();
    expect(sub.status).toBe('active');
    const firstEnd = Date.parse(sub.currentPeriodEnd) / 1000;
    await advance(clock, firstEnd + 3600);
    const stripeSub = await stripe.subscriptions.retrieve(sub.stripeSubscriptionId);
    const secondEnd = stripeSub.items.data[0].current_period_end;
    expect(secondEnd).toBeGreaterThan(firstEnd + 27 * DAY);

    const renewed = await until(
      'the new period locally',
      () => subscription(sub.id),
      (s) => s.currentPeriodEnd === new Date(secondEnd * 1000).toISOString(),
      SLOW,
    );
    expect(renewed.status).toBe('active');
    const delivered = await until(
      'invoice.paid of the renewal processed',
      () =>
        query<{ status: string; source: string }>(
          t.db.url,
          `SELECT status, source FROM webhook_events WHERE type = 'invoice.paid' AND object_id = $1`,
          [stripeSub.latest_invoice],
        ),
      (rows) => rows.some((r) => r.status === 'processed'),
      SLOW,
    );
    expect(delivered).toEqual([{ status: 'processed', source: 'webhook' }]);
    expect(await stripe.invoices.retrieve(stripeSub.latest_invoice as string)).toMatchObject({
      status: 'paid',
      amount_paid: 1500,
      billing_reason: 'subscription_cycle',
    });
  });

  it('a failing default card at renewal: past_due locally, by webhook alone', async () => {
    const { clock, sub } = await subscribedOnClock();
    // The customer's card starts failing (changed at Stripe, as a customer portal would).
    await stripe.subscriptions.update(sub.stripeSubscriptionId, { default_payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds' });
    await advance(clock, Date.parse(sub.currentPeriodEnd) / 1000 + 3600);
    const pastDue = await until(
      'past_due locally',
      () => subscription(sub.id),
      (s) => s.status === 'past_due',
      SLOW,
    );
    expect(pastDue.status).toBe('past_due');
    const renewal = (await stripe.subscriptions.retrieve(sub.stripeSubscriptionId, { expand: ['latest_invoice'] })).latest_invoice;
    expect(renewal).toMatchObject({ status: 'open', attempt_count: 1, billing_reason: 'subscription_cycle' });
  });

  it('a trial ends: trialing, then active with the first paid invoice', async () => {
    const { clock, sub } = await subscribedOnClock({ trialPeriodDays: 7 });
    expect(sub).toMatchObject({ status: 'trialing', latestInvoice: { amountDue: 0 } });
    await advance(clock, Date.parse(sub.currentPeriodEnd) / 1000 + 3600);
    const active = await until(
      'the trial to end locally',
      () => subscription(sub.id),
      (s) => s.status === 'active' && Date.parse(s.currentPeriodEnd) > Date.parse(sub.currentPeriodEnd) + 27 * DAY * 1000,
      SLOW,
    );
    expect(active.status).toBe('active');
    const stripeSub = await stripe.subscriptions.retrieve(sub.stripeSubscriptionId, { expand: ['latest_invoice'] });
    expect(stripeSub.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 1500 });
  });

  it('deleting the clock deletes its customers at Stripe; their subscriptions end locally by webhook', async () => {
    const { clock, customerId, sub } = await subscribedOnClock();
    await stripe.testHelpers.testClocks.del(clock.id);
    const { stripeCustomerId } = (await t.request({ url: `/v1/customers/${customerId}` })).json();
    expect(await stripe.customers.retrieve(stripeCustomerId)).toMatchObject({ id: stripeCustomerId, deleted: true });
    await until(
      'the subscription canceled locally',
      () => subscription(sub.id),
      (s) => s.status === 'canceled',
      SLOW,
    );
  });
});
