import http from 'node:http';
import { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { useEmulator, waitFor } from './helpers';

const h = useEmulator({ webhookRetryDelaysMs: [50, 100, 200], webhookTimeoutMs: 300 });

interface Received {
  event: Stripe.Event;
  headers: http.IncomingHttpHeaders;
}

/** A webhook receiver that verifies signatures with the SDK and can be told to fail. */
function receiver() {
  const received: Received[] = [];
  let failuresLeft = 0;
  let secret = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(500).end('boom');
        return;
      }
      const event = h.stripe.webhooks.constructEvent(
        Buffer.concat(chunks),
        req.headers['stripe-signature'] as string,
        secret,
      );
      received.push({ event, headers: req.headers });
      res.writeHead(200).end('ok');
    });
  });
  return {
    received,
    server,
    failNext: (n: number) => (failuresLeft = n),
    setSecret: (s: string) => (secret = s),
    listen: () =>
      new Promise<string>((r) =>
        server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`)),
      ),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('Webhook endpoints and deliveries', () => {
  const rx = receiver();
  let url = '';
  beforeAll(async () => {
    url = await rx.listen();
  });
  afterAll(() => rx.close());
  beforeEach(async () => {
    await h.reset();
    rx.received.length = 0;
    rx.failNext(0);
  });

  it('manages endpoints through the API; the secret is shown only on create', async () => {
    const endpoint = await h.stripe.webhookEndpoints.create({
      url,
      enabled_events: ['*'],
      description: 'all',
      metadata: { team: 'pay' },
    });
    expect(endpoint.id).toMatch(/^we_/);
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(endpoint.status).toBe('enabled');
    const fetched = await h.stripe.webhookEndpoints.retrieve(endpoint.id);
    expect(fetched.secret).toBeUndefined();
    expect((await h.stripe.webhookEndpoints.update(endpoint.id, { disabled: true })).status).toBe('disabled');
    expect(
      (await h.stripe.webhookEndpoints.update(endpoint.id, { disabled: false, enabled_events: ['customer.created'] }))
        .enabled_events,
    ).toEqual(['customer.created']);
    expect((await h.stripe.webhookEndpoints.list()).data.map((e) => e.id)).toEqual([endpoint.id]);
    expect(await h.stripe.webhookEndpoints.del(endpoint.id)).toMatchObject({ id: endpoint.id, deleted: true });
    expect((await h.stripe.webhookEndpoints.retrieve(endpoint.id).catch((e) => e)).statusCode).toBe(404);
  });

  it('delivers signed events that constructEvent accepts, only the enabled types', async () => {
    const endpoint = await h.stripe.webhookEndpoints.create({
      url,
      enabled_events: ['payment_intent.succeeded', 'charge.succeeded'],
    });
    rx.setSecret(endpoint.secret!);
    await h.control('POST', '/clock', { advanceSeconds: 2 * 86400 });
    const pi = await h.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await waitFor(() => rx.received.length >= 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(rx.received.map((r) => r.event.type).sort()).toEqual(['charge.succeeded', 'payment_intent.succeeded']);
    const succeeded = rx.received.find((r) => r.event.type === 'payment_intent.succeeded')!;
    expect((succeeded.event.data.object as Stripe.PaymentIntent).id).toBe(pi.id);
    expect(succeeded.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(succeeded.headers['user-agent']).toBe('Stripe/1.0 (+https://stripe.com/docs/webhooks)');
    expect(succeeded.headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    // Signed with the wall clock even when the emulator clock was moved, so strict receivers accept it.
    const t = Number(/t=(\d+)/.exec(succeeded.headers['stripe-signature'] as string)![1]);
    expect(Math.abs(Date.now() / 1000 - t)).toBeLessThan(5);
    expect(succeeded.event.created - t).toBeGreaterThanOrEqual(2 * 86400 - 5);
    const event = await h.stripe.events.retrieve(succeeded.event.id);
    expect(event.pending_webhooks).toBe(0);
  });

  it('retries after 500s; delivery_success tracks it', async () => {
    const endpoint = await h.stripe.webhookEndpoints.create({ url, enabled_events: ['customer.created'] });
    rx.setSecret(endpoint.secret!);
    rx.failNext(2);
    const customer = await h.stripe.customers.create({ email: 'hook@example.com' });
    const [event] = (await h.stripe.events.list({ type: 'customer.created' })).data;
    expect(event.pending_webhooks).toBe(1);
    expect((await h.stripe.events.list({ delivery_success: false })).data.map((e) => e.id)).toEqual([event.id]);
    await waitFor(() => rx.received.length === 1);
    expect((rx.received[0].event.data.object as Stripe.Customer).id).toBe(customer.id);
    const deliveries = (await h.control('GET', '/webhook_deliveries')).body.data;
    expect(deliveries.map((d: any) => [d.eventId, d.attempt, d.status])).toEqual([
      [event.id, 1, 500],
      [event.id, 2, 500],
      [event.id, 3, 200],
    ]);
    await waitFor(async () => (await h.stripe.events.retrieve(event.id)).pending_webhooks === 0);
    expect((await h.stripe.events.list({ delivery_success: true })).data.map((e) => e.id)).toEqual([event.id]);
    expect((await h.stripe.events.list({ delivery_success: false })).data).toHaveLength(0);
  });

  it('gives up after the schedule, and skips disabled endpoints', async () => {
    const dead = await h.stripe.webhookEndpoints.create({ url: 'http://127.0.0.1:9/refused', enabled_events: ['*'] });
    const off = await h.stripe.webhookEndpoints.create({ url, enabled_events: ['*'] });
    await h.stripe.webhookEndpoints.update(off.id, { disabled: true });
    await h.stripe.customers.create({});
    await waitFor(async () => (await h.control('GET', '/webhook_deliveries')).body.data.length === 4, 3000);
    await new Promise((r) => setTimeout(r, 300));
    const deliveries = (await h.control('GET', '/webhook_deliveries')).body.data;
    expect(deliveries.map((d: any) => [d.endpointId, d.attempt, d.status])).toEqual([
      [dead.id, 1, null],
      [dead.id, 2, null],
      [dead.id, 3, null],
      [dead.id, 4, null],
    ]);
    expect(deliveries[0].error).toMatch(/ECONNREFUSED/);
    expect(rx.received).toHaveLength(0);
    const [event] = (await h.stripe.events.list({ delivery_success: false })).data;
    expect(event.pending_webhooks).toBe(2);
  });

  it('the same event may arrive twice when the receiver is slow: ids let the receiver dedupe', async () => {
    const arrivals: string[] = [];
    const slow = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        arrivals.push(JSON.parse(Buffer.concat(chunks).toString()).id);
        setTimeout(() => res.writeHead(200).end(), 500);
      });
    });
    const slowUrl = await new Promise<string>((r) =>
      slow.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/`)),
    );
    const endpoint = await h.stripe.webhookEndpoints.create({ url: slowUrl, enabled_events: ['customer.created'] });
    await h.stripe.customers.create({});
    await waitFor(async () => (await h.control('GET', '/webhook_deliveries')).body.data.length >= 2, 3000);
    const deliveries = (await h.control('GET', '/webhook_deliveries')).body.data;
    expect(deliveries[0]).toMatchObject({ endpointId: endpoint.id, attempt: 1, status: null });
    expect(deliveries[0].error).toMatch(/timeout/);
    await waitFor(() => arrivals.length >= 2);
    expect(arrivals[0]).toBe(arrivals[1]);
    expect(new Set(deliveries.map((d: any) => d.eventId))).toEqual(new Set([arrivals[0]]));
    await h.reset();
    slow.closeAllConnections();
    await new Promise<void>((r) => slow.close(() => r()));
  });
});
