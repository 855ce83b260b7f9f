import { StripeContext } from '@app/stripe';
import { startStripeEmulator } from '@app/stripe-emulator';
import { createCustomer, emulatorOf, stripeOf } from './payments-helpers';
import { bootApp, TestApp } from './utils/app';
import { until } from './utils/wait';

// A newcomer subscribes in Swagger without touching the emulator: the sandbox has a demo product with a monthly
// and a yearly price, GET /v1/config names them, and Swagger's subscription example uses the monthly one.
describe('the sandbox demo catalog (#15)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(() => t.close());

  const MONTHLY = {
    id: 'price_sandbox_demo_monthly',
    productId: 'prod_sandbox_demo',
    productName: 'Demo plan',
    unitAmount: 1500,
    currency: 'usd',
    interval: 'month',
  };
  const YEARLY = { ...MONTHLY, id: 'price_sandbox_demo_yearly', unitAmount: 15000, interval: 'year' };

  it('GET /v1/config names the demo prices, and they are real prices at the emulator', async () => {
    expect((await t.request({ url: '/v1/config' })).json().demoPrices).toEqual([MONTHLY, YEARLY]);
    const prices = await stripeOf(t).prices.list({ lookup_keys: ['sandbox_demo_monthly', 'sandbox_demo_yearly'], limit: 10 });
    expect(
      prices.data
        .map((p) => ({ id: p.id, product: p.product, amount: p.unit_amount, currency: p.currency, interval: p.recurring?.interval }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual([
      { id: MONTHLY.id, product: 'prod_sandbox_demo', amount: 1500, currency: 'usd', interval: 'month' },
      { id: YEARLY.id, product: 'prod_sandbox_demo', amount: 15000, currency: 'usd', interval: 'year' },
    ]);
  });

  it("Swagger's subscription example (plus a customer) subscribes; README's 3-D Secure step activates it", async () => {
    const doc = (await t.request({ url: '/docs-json', apiKey: null })).json();
    const example = doc.paths['/v1/subscriptions'].post.requestBody.content['application/json'].example;
    expect(example).toMatchObject({ priceId: MONTHLY.id });
    const customerId = await createCustomer(t, 'demo-subscriber@example.com');
    const asIs = await t.request({ method: 'POST', url: '/v1/subscriptions', payload: { ...example, customerId } });
    expect(asIs.statusCode).toBe(201);
    expect(asIs.json()).toMatchObject({ status: 'active', latestInvoice: { amountDue: 1500, currency: 'usd' } });

    // Without a card the first invoice waits for the customer (README: "Finish a subscription's first payment").
    const created = await t.request({ method: 'POST', url: '/v1/subscriptions', payload: { customerId, priceId: YEARLY.id } });
    expect(created.statusCode).toBe(201);
    const sub = created.json();
    expect(sub).toMatchObject({ status: 'incomplete', clientSecret: expect.stringMatching(/^pi_.+_secret_/) });

    // The customer-facing step, as README "Finish a subscription's first payment" shows it: the front end confirms
    // the first invoice's PaymentIntent with the publishable key and the client secret, with a 3-D Secure card...
    const { publishableKey, emulatorUrl } = (await t.request({ url: '/v1/config' })).json();
    const intentId = sub.clientSecret.split('_secret_')[0];
    const confirm = await fetch(`${emulatorUrl}/v1/payment_intents/${intentId}/confirm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${publishableKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_secret: sub.clientSecret,
        payment_method: 'pm_card_authenticationRequired',
        return_url: 'http://127.0.0.1/done',
      }),
    });
    const intent = (await confirm.json()) as { status: string; next_action: { redirect_to_url: { url: string } } };
    expect(intent.status).toBe('requires_action');
    expect(intent.next_action.redirect_to_url.url).toBe(`${emulatorUrl}/_emulator/3ds/${intentId}`);
    // ...and the customer completes the challenge page.
    expect((await emulatorOf(t).threeDSecure(intentId, 'success')).status).toBeLessThan(400);
    await until(
      'the subscription active through webhooks',
      async () => (await t.request({ url: `/v1/subscriptions/${sub.id}` })).json(),
      (s) => s.status === 'active',
      30_000,
    );
  });

  it('seeding again changes nothing (a restored sandbox state already holds the catalog)', async () => {
    expect(t.app.get(StripeContext).demoPrices).toEqual([MONTHLY, YEARLY]);
    const before = await stripeOf(t).prices.list({ limit: 100 });
    const fresh = await startStripeEmulator({ port: 0 });
    try {
      fresh.seedDemoCatalog();
      fresh.seedDemoCatalog();
      const listed = (await (
        await fetch(`${fresh.url}/v1/prices?limit=100`, { headers: { authorization: 'Bearer sk_test_x' } })
      ).json()) as { data: unknown[] };
      expect(listed.data).toHaveLength(2);
    } finally {
      await fresh.close();
    }
    expect((await stripeOf(t).prices.list({ limit: 100 })).data.filter((p) => p.id.startsWith('price_sandbox_demo'))).toHaveLength(2);
    expect(before.data.length).toBeGreaterThanOrEqual(2);
  });
});
