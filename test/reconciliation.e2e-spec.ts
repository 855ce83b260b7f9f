import Stripe from 'stripe';
import { Client } from 'pg';
import { bootApp, TestApp } from './utils/app';
import { until } from './utils/wait';
import { query } from './utils/database';
import { createCustomer, emulatorOf } from './payments-helpers';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';

// Sandbox mode (in-process emulator, endpoint registered by the app). RECONCILE_INTERVAL_SECONDS=1: the
// periodic job itself must recover what the disabled endpoint never received.
describe('reconciliation: nothing lost even when deliveries are', () => {
  let t: TestApp;
  let second: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  let stripe: Stripe;
  let endpointId: string;
  beforeAll(async () => {
    t = await bootApp({ env: { WEBHOOK_WORKER_POLL_MS: '100', RECONCILE_INTERVAL_SECONDS: '1', LOG_LEVEL: 'warn' } });
    emulator = emulatorOf(t);
    const url = new URL(emulator.url);
    stripe = new Stripe('sk_test_emulator', { host: url.hostname, port: Number(url.port), protocol: 'http' });
    const endpoints = await stripe.webhookEndpoints.list();
    endpointId = endpoints.data.find((e) => e.url === `${t.url}/v1/webhooks/stripe`)!.id;
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  const payment = async (id: string) => (await t.request({ url: `/v1/payments/${id}` })).json();
  const later = () => emulator.later();

  it('events emitted while the endpoint was unreachable are recovered by the periodic job, once', async () => {
    const p = (
      await t.request({
        method: 'POST',
        url: '/v1/payments',
        payload: { amount: 2500, currency: 'usd', paymentMethod: 'pm_card_authenticationRequired', confirm: true },
      })
    ).json();
    expect(p.status).toBe('requires_action');
    await stripe.webhookEndpoints.update(endpointId, { disabled: true });

    await later();
    await emulator.threeDSecure(p.stripePaymentIntentId, 'success');
    const missed = await stripe.events.list({ type: 'payment_intent.succeeded', delivery_success: false, limit: 100 });
    const event = missed.data.find((e) => (e.data.object as Stripe.PaymentIntent).id === p.stripePaymentIntentId)!;
    expect(event).toMatchObject({ type: 'payment_intent.succeeded', pending_webhooks: 1 });
    // The emulator never delivered it: no delivery attempt, no inbox row (yet).
    const deliveries = (await (await fetch(`${emulator.url}/_emulator/webhook_deliveries`)).json()) as { data: Array<{ eventId: string }> };
    expect(deliveries.data.filter((d) => d.eventId === event.id)).toEqual([]);

    const done = await until(
      'the job to recover and apply the event',
      () => payment(p.id),
      (x) => x.status === 'succeeded',
    );
    expect(done).toMatchObject({ status: 'succeeded', amountReceived: 2500 });
    // Applied first, marked processed a moment later.
    const rows = await until(
      'the event marked processed',
      () => query(t.db.url, 'SELECT status, source, attempts FROM webhook_events WHERE id = $1', [event.id]),
      (rs) => rs[0]?.status === 'processed',
    );
    expect(rows).toEqual([{ status: 'processed', source: 'reconciliation', attempts: 1 }]);

    // Later runs (periodic and on demand) list it again and change nothing.
    await new Promise((r) => setTimeout(r, 1500));
    const again = await t.request({ method: 'POST', url: '/v1/admin/reconcile' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ eventsRecovered: 0, errors: [] });
    expect(again.json().eventsListed).toBeGreaterThan(0);
    expect(await query(t.db.url, 'SELECT status, source, attempts FROM webhook_events WHERE id = $1', [event.id])).toEqual(rows);
    await stripe.webhookEndpoints.update(endpointId, { disabled: false });
  });

  it('POST /v1/admin/reconcile needs an API key, and answers 409 while another instance holds the lock', async () => {
    expect((await t.request({ method: 'POST', url: '/v1/admin/reconcile', apiKey: null })).statusCode).toBe(401);
    const holder = new Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      // Wait for any periodic run to finish, then hold the lock as another instance would.
      await until(
        'the lock',
        async () => (await holder.query('SELECT pg_try_advisory_lock(5021994201) AS ok')).rows[0].ok,
        (ok) => ok === true,
      );
      const busy = await t.request({ method: 'POST', url: '/v1/admin/reconcile' });
      expect(busy.statusCode).toBe(409);
      expect(busy.json().code).toBe('reconcile_in_progress');
    } finally {
      await holder.end();
    }
    expect((await t.request({ method: 'POST', url: '/v1/admin/reconcile' })).statusCode).toBe(200);
  });

  it('two instances reconciling at once: every run succeeds or is refused, and no event gets a second row', async () => {
    second = await bootApp({ db: t.db, env: { RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'warn' } });
    // t's periodic job (every second) may hold the lock through a whole burst: then every answer is 409, so
    // bursts repeat until one of them ran; every answer of every burst must be 200 or 409.
    const bursts = await until(
      'a burst in which one run got the lock',
      async () => Promise.all([t, second, t, second].map((app) => app.request({ method: 'POST', url: '/v1/admin/reconcile' }))),
      (answers) => answers.some((a) => a.statusCode !== 409),
      30_000,
    );
    expect(bursts.map((a) => a.statusCode).every((s) => s === 200 || s === 409)).toBe(true);
    expect(bursts.some((a) => a.statusCode === 200)).toBe(true);
    const dupes = await query(t.db.url, 'SELECT id, count(*) FROM webhook_events GROUP BY id HAVING count(*) > 1');
    expect(dupes).toEqual([]);
  });

  it('re-syncs a payment stuck in a non-final state longer than the threshold (re-fetch from Stripe)', async () => {
    // Pretend the events are gone (older than Stripe's 30-day retention): only a re-fetch can fix the row.
    await query(
      t.db.url,
      `INSERT INTO stripe_sync_state (key, value) VALUES ('events_cursor', $1::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [JSON.stringify({ created: Math.floor(Date.now() / 1000) + 3600 })],
    );
    const p = (
      await t.request({
        method: 'POST',
        url: '/v1/payments',
        payload: { amount: 1800, currency: 'usd', paymentMethod: 'pm_card_authenticationRequired', confirm: true },
      })
    ).json();
    // The create's own events (payment_intent.created, .requires_action) must be applied first: one of the
    // answer's very second that differs from the row re-fetches the payment from Stripe, and applied after the
    // 3-D Secure completion (a busy worker) it would fix the row by that re-fetch before reconciliation does.
    await until(
      "the create's events applied",
      () => query(t.db.url, `SELECT type, status FROM webhook_events WHERE object_id = $1`, [p.stripePaymentIntentId]),
      (rows) =>
        ['payment_intent.created', 'payment_intent.requires_action'].every((type) => rows.some((r) => r.type === type)) &&
        rows.every((r) => r.status === 'processed'),
    );
    await stripe.webhookEndpoints.update(endpointId, { disabled: true });
    await later();
    await emulator.threeDSecure(p.stripePaymentIntentId, 'success');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await payment(p.id)).status).toBe('requires_action'); // not stuck long enough yet: left alone

    const runs: Array<{ paymentsResynced: number; errors: string[] }> = [];
    await until(
      'a run that re-syncs it',
      async () => {
        await query(t.db.url, `UPDATE payments SET updated_at = now() - interval '1 hour' WHERE id = $1`, [p.id]);
        const res = await t.request({ method: 'POST', url: '/v1/admin/reconcile' });
        if (res.statusCode === 200) runs.push(res.json());
        return payment(p.id);
      },
      (x) => x.status === 'succeeded',
    );
    expect(await payment(p.id)).toMatchObject({ status: 'succeeded', amountReceived: 1800 });
    expect(runs.flatMap((r) => r.errors)).toEqual([]);
    // Fixed by the re-fetch, not by an event.
    expect(
      await query(t.db.url, `SELECT id FROM webhook_events WHERE object_id = $1 AND type = 'payment_intent.succeeded'`, [
        p.stripePaymentIntentId,
      ]),
    ).toEqual([]);
    await stripe.webhookEndpoints.update(endpointId, { disabled: false });
  });
  it('re-syncs a subscription stuck in incomplete once its first invoice was paid behind our back', async () => {
    // The events cursor still points past now (previous test): only the re-fetch can fix the row.
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 900,
      recurring: { interval: 'month' },
      product_data: { name: 'Basic' },
    });
    const customerId = await createCustomer(t, 'stuck-subscriber@example.com');
    const created = await t.request({ method: 'POST', url: '/v1/subscriptions', payload: { customerId, priceId: price.id } });
    expect(created.statusCode).toBe(201);
    const sub = created.json();
    expect(sub.status).toBe('incomplete');
    await stripe.webhookEndpoints.update(endpointId, { disabled: true });
    await stripe.paymentIntents.confirm(sub.clientSecret.split('_secret_')[0], { payment_method: 'pm_card_visa' });
    const stored = async () => (await t.request({ url: `/v1/subscriptions/${sub.id}` })).json();
    expect((await stored()).status).toBe('incomplete');

    // The periodic job may get there first; either way a reconciliation run fixes it, by re-fetching.
    const runs: Array<{ subscriptionsResynced: number; errors: string[] }> = [];
    await until(
      'a run that re-syncs it',
      async () => {
        // Stuck for an hour, as far as the job can tell (events delivered before the endpoint was
        // disabled may still be applied meanwhile, touching updated_at).
        await query(t.db.url, `UPDATE subscriptions SET updated_at = now() - interval '1 hour' WHERE id = $1`, [sub.id]);
        const res = await t.request({ method: 'POST', url: '/v1/admin/reconcile' });
        if (res.statusCode === 200) runs.push(res.json());
        return stored();
      },
      (x) => x.status === 'active',
    );
    expect(runs.flatMap((r) => r.errors)).toEqual([]);
    expect(await stored()).toMatchObject({ status: 'active', latestInvoice: { status: 'paid' } });
    await stripe.webhookEndpoints.update(endpointId, { disabled: false });
  });
  it('the events cursor only moves forward: a pass that read an older one does not take back a newer one', async () => {
    const cursor = async () =>
      (
        await query<{ created: string }>(t.db.url, `SELECT value->>'created' AS created FROM stripe_sync_state WHERE key = 'events_cursor'`)
      )[0]?.created;
    const ahead = Math.floor(Date.now() / 1000) + 7200;
    await query(
      t.db.url,
      `INSERT INTO stripe_sync_state (key, value) VALUES ('events_cursor', $1::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [JSON.stringify({ created: ahead })],
    );
    // What a pass that began before that write ends with (the periodic job runs every second here).
    const service = t.app.get(ReconciliationService) as unknown as { writeCursor(created: number): Promise<void> };
    await service.writeCursor(ahead - 7000);
    expect(await cursor()).toBe(String(ahead));
    await service.writeCursor(ahead + 1);
    expect(await cursor()).toBe(String(ahead + 1));
  });
});
