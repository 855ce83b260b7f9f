import Stripe from 'stripe';
import { createCustomer, emulatorOf } from './payments-helpers';
import { bootApp, TestApp } from './utils/app';
import { Receiver, startReceiver, verify } from './utils/receiver';
import { until } from './utils/wait';

// Issue #12 end to end: real changes (our API, the emulator's signed Stripe webhooks) -> events written by the
// apply path -> a registered receiver, verified with the standardwebhooks package, and the feed.
describe('events of real payment, refund and subscription flows reach a registered receiver', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  let receiver: Receiver;
  let secret: string;
  beforeAll(async () => {
    t = await bootApp({ env: { WEBHOOK_WORKER_POLL_MS: '100', RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'warn' } });
    emulator = emulatorOf(t);
    receiver = await startReceiver();
    const res = await t.request({ method: 'POST', url: '/v1/notification-endpoints', payload: { url: receiver.url, events: ['*'] } });
    expect(res.statusCode).toBe(201);
    secret = res.json().secret;
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const receivedFor = (objectId: string) => receiver.received.filter((r) => r.event.data.object.id === objectId);
  const distinctById = (rs: ReturnType<typeof receivedFor>) => rs.filter((r, i) => rs.findIndex((o) => o.event.id === r.event.id) === i);
  const waitFor = (objectId: string, type: string) =>
    until(
      `${type} of ${objectId} at the receiver`,
      async () => receivedFor(objectId),
      (rs) => rs.some((r) => r.event.type === type),
      20_000,
    );

  it('3-D Secure: payment.requires_action then payment.succeeded, verified, webhook-id = event id, the same in the feed', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/v1/payments',
      payload: { amount: 3100, currency: 'eur', paymentMethod: 'pm_card_authenticationRequired', confirm: true },
    });
    expect(created.statusCode).toBe(201);
    const p = created.json();
    expect(p.status).toBe('requires_action');
    await waitFor(p.id, 'payment.requires_action');
    await emulator.later();
    expect((await emulator.threeDSecure(p.stripePaymentIntentId, 'success')).status).toBeLessThan(400);
    await waitFor(p.id, 'payment.succeeded');

    // Delivery is at least once (a receiver dedupes by webhook-id, as Standard Webhooks says): a redelivery of
    // the same event is allowed, a second event of the same change (another id) is not.
    const got = distinctById(receivedFor(p.id).filter((r) => ['payment.requires_action', 'payment.succeeded'].includes(r.event.type)));
    expect(got.map((r) => r.event.type)).toEqual(['payment.requires_action', 'payment.succeeded']);
    for (const r of got) {
      expect(verify(secret, r)).toEqual(r.event);
      expect(r.headers['webhook-id']).toBe(r.event.id);
    }
    expect(got[1].event).toMatchObject({
      previous: { status: 'requires_action' },
      data: { object: { id: p.id, status: 'succeeded', amountReceived: 3100 } },
    });
    expect(got[1].event.data.object).toEqual((await t.request({ url: `/v1/payments/${p.id}` })).json());

    const feed = (await t.request({ url: '/v1/events', query: { objectId: p.id, limit: '100' } })).json();
    const listed = feed.data.filter((e: { type: string }) => ['payment.requires_action', 'payment.succeeded'].includes(e.type));
    expect(listed).toEqual(got.map((r) => r.event));
  });

  it('a refund that fails later at Stripe pushes refund.failed', async () => {
    const p = (
      await t.request({
        method: 'POST',
        url: '/v1/payments',
        payload: { amount: 4200, currency: 'usd', paymentMethod: 'pm_card_refundFail', confirm: true },
      })
    ).json();
    expect(p.status).toBe('succeeded');
    const r = (await t.request({ method: 'POST', url: '/v1/refunds', payload: { paymentId: p.id, amount: 4200 } })).json();
    expect(r.status).toBe('pending');
    await emulator.later();
    const events = await waitFor(r.id, 'refund.failed');
    const failed = events.find((x) => x.event.type === 'refund.failed')!;
    expect(verify(secret, failed)).toEqual(failed.event);
    expect(failed.event).toMatchObject({ previous: { status: 'pending' }, data: { object: { id: r.id, status: 'failed' } } });
  });

  it('a renewal that fails pushes subscription.updated from active to past_due', async () => {
    const { hostname, port } = new URL(emulator.url);
    const stripe = new Stripe('sk_test_emulator', { host: hostname, port: Number(port), protocol: 'http' });
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1500,
      recurring: { interval: 'month' },
      product_data: { name: 'Pro' },
    });
    const customerId = await createCustomer(t, 'renewal@example.com');
    const sub = (
      await t.request({
        method: 'POST',
        url: '/v1/subscriptions',
        payload: { customerId, priceId: price.id, paymentMethod: 'pm_card_visa' },
      })
    ).json();
    expect(sub.status).toBe('active');
    await emulator.later();
    const advanced = await fetch(`${emulator.url}/_emulator/subscriptions/${sub.stripeSubscriptionId}/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'fail' }),
    });
    expect(advanced.status).toBeLessThan(400);
    const events = await until(
      'subscription.updated to past_due',
      async () => receivedFor(sub.id),
      (rs) => rs.some((r) => r.event.type === 'subscription.updated' && r.event.data.object.status === 'past_due'),
      20_000,
    );
    const pastDue = events.find((r) => r.event.type === 'subscription.updated' && r.event.data.object.status === 'past_due')!;
    expect(verify(secret, pastDue)).toEqual(pastDue.event);
    expect(pastDue.event.previous).toMatchObject({ status: 'active' });
  });
});
