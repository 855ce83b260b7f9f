import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { startStripeEmulator, StripeEmulator } from '@app/stripe-emulator';
import { mirrorHooks } from '../src/common/mirror/mirror-hooks';
import { LOCAL_ID_METADATA_KEY } from '../src/common/stripe-sync';
import { bootApp, TestApp } from './utils/app';
import { until } from './utils/wait';
import { deliver, deliverOverHttp, ownEmulatorEnv } from './utils/webhook-delivery';
import { later as moveClock } from './payments-helpers';
import { query } from './utils/database';

interface InboxRow {
  status: string;
  attempts: number;
  note: string | null;
  last_error: string | null;
  /** processed_at = received_at: stamped by the transaction that stored it (now() is its start), so applied on receipt. */
  on_receipt: boolean;
}

// WEBHOOK_APPLY_ON_RECEIPT (#16): payment-intent events are applied in the transaction that stores them, so
// the 200 means "stored AND applied"; whatever that path cannot settle waits in the inbox for the worker.
describe('webhooks applied on receipt', () => {
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let t: TestApp;
  const env = ownEmulatorEnv;

  beforeAll(async () => {
    // No webhook endpoint at the emulator: the only deliveries are this file's.
    emulator = await startStripeEmulator({ asyncDelayMs: 600_000 });
    stripe = new Stripe(emulator.secretKey, { host: '127.0.0.1', port: emulator.port, protocol: 'http' });
    t = await bootApp({ env: env(emulator) });
  });
  afterEach(() => {
    delete mirrorHooks.afterLookup;
  });
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  const inbox = async (app: TestApp, id: string) =>
    (
      await query<InboxRow>(
        app.db.url,
        'SELECT status, attempts, note, last_error, processed_at = received_at AS on_receipt FROM webhook_events WHERE id = $1',
        [id],
      )
    )[0];
  const domainEvents = async (app: TestApp, paymentId: string) =>
    (await query<{ type: string }>(app.db.url, 'SELECT type FROM domain_events WHERE object_id = $1 ORDER BY seq', [paymentId])).map(
      (r) => r.type,
    );
  const payment = async (app: TestApp, id: string) => (await app.request({ url: `/v1/payments/${id}` })).json();

  async function createPayment(app: TestApp) {
    const res = await app.request({ method: 'POST', url: '/v1/payments', payload: { amount: 4200, currency: 'usd' } });
    if (res.statusCode !== 201) throw new Error(`payment: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string; stripePaymentIntentId: string };
  }
  /** Confirms at the emulator behind the service's back: the service learns of it only from the event we deliver. */
  async function succeededEvent(app: TestApp): Promise<{ paymentId: string; event: Stripe.Event }> {
    const p = await createPayment(app);
    await moveClock(emulator.url);
    await stripe.paymentIntents.confirm(p.stripePaymentIntentId, { payment_method: 'pm_card_visa' });
    for await (const e of stripe.events.list({ limit: 100, type: 'payment_intent.succeeded' }))
      if ((e.data.object as { id: string }).id === p.stripePaymentIntentId) return { paymentId: p.id, event: e };
    throw new Error('no payment_intent.succeeded at the emulator');
  }

  it('the 200 comes after the payment moved: row, inbox mark and domain event committed with the event', async () => {
    const { paymentId, event } = await succeededEvent(t);
    expect((await deliver(t, event)).statusCode).toBe(200);
    // No waiting: all of it is already committed when Stripe gets its answer.
    expect(await payment(t, paymentId)).toMatchObject({ status: 'succeeded', amountReceived: 4200 });
    expect(await inbox(t, event.id)).toEqual({ status: 'processed', attempts: 1, note: null, last_error: null, on_receipt: true });
    expect(await domainEvents(t, paymentId)).toEqual(['payment.created', 'payment.succeeded']);

    // A redelivery is a duplicate: no second row, no second effect.
    expect((await deliver(t, event)).statusCode).toBe(200);
    expect(await query(t.db.url, 'SELECT count(*)::int AS n FROM webhook_events WHERE id = $1', [event.id])).toEqual([{ n: 1 }]);
    expect(await domainEvents(t, paymentId)).toEqual(['payment.created', 'payment.succeeded']);
  });

  it('the same event posted concurrently to two instances sharing the database: one row, one effect, one domain event', async () => {
    const other = await bootApp({ db: t.db, env: env(emulator) });
    try {
      const { paymentId, event } = await succeededEvent(t);
      const answers = await Promise.all([t, other, t, other, t, other].map((app) => deliverOverHttp(app, event)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
      // Every 200 came after a commit that holds the event: whichever instance stored it also applied it.
      expect(await inbox(t, event.id)).toMatchObject({ status: 'processed', attempts: 1, on_receipt: true });
      expect(await domainEvents(t, paymentId)).toEqual(['payment.created', 'payment.succeeded']);
    } finally {
      await other.close();
    }
  });

  it('an older event arriving after a newer one is settled on receipt as stale, with its note', async () => {
    const { paymentId, event } = await succeededEvent(t);
    const [created] = (await stripe.events.list({ limit: 100, type: 'payment_intent.created' })).data.filter(
      (e) => (e.data.object as { id: string }).id === (event.data.object as { id: string }).id,
    );
    expect((await deliver(t, event)).statusCode).toBe(200);
    expect((await deliver(t, created)).statusCode).toBe(200);
    expect(await inbox(t, created.id)).toMatchObject({ status: 'processed', note: expect.stringMatching(/^stale/), on_receipt: true });
    expect(await payment(t, paymentId)).toMatchObject({ status: 'succeeded' });
  });

  it('concurrent deliveries of several payments and a customer event: each applied once, the customer by the worker', async () => {
    const made = await Promise.all([succeededEvent(t), succeededEvent(t), succeededEvent(t)]);
    const customer = (await t.request({ method: 'POST', url: '/v1/customers', payload: { email: 'r@example.com' } })).json();
    await stripe.customers.update(customer.stripeCustomerId, { name: 'Renamed At Stripe' });
    const [updated] = (await stripe.events.list({ limit: 10, type: 'customer.updated' })).data;
    const answers = await Promise.all([...made.map((m) => deliverOverHttp(t, m.event)), deliverOverHttp(t, updated)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    for (const m of made) {
      expect(await inbox(t, m.event.id)).toMatchObject({ status: 'processed', attempts: 1, on_receipt: true });
      expect(await domainEvents(t, m.paymentId)).toEqual(['payment.created', 'payment.succeeded']);
    }
    // Not a payment intent: stored pending in the same transaction, applied by the claim loop.
    const row = await until(
      'customer.updated applied',
      () => inbox(t, updated.id),
      (r) => r?.status === 'processed',
    );
    expect(row).toMatchObject({ attempts: 1, on_receipt: false });
    expect((await t.request({ url: `/v1/customers/${customer.id}` })).json()).toMatchObject({ name: 'Renamed At Stripe' });
  });

  it('an apply that fails on receipt still answers 200: stored pending, the worker applies it once', async () => {
    const { paymentId, event } = await succeededEvent(t);
    const stripeId = (event.data.object as { id: string }).id;
    let failures = 0;
    mirrorHooks.afterLookup = (table, id) => {
      // Only the receipt path's attempt fails; the worker's apply (the second lookup) goes through.
      if (table === 'payments' && id === stripeId && failures++ === 0) throw new Error('boom on receipt');
    };
    expect((await deliver(t, event)).statusCode).toBe(200);
    const row = await until(
      'the worker to apply it',
      () => inbox(t, event.id),
      (r) => r?.status === 'processed',
    );
    expect(failures).toBe(2);
    expect(row).toMatchObject({ attempts: 1, note: null, on_receipt: false });
    expect(await payment(t, paymentId)).toMatchObject({ status: 'succeeded' });
    expect(await domainEvents(t, paymentId)).toEqual(['payment.created', 'payment.succeeded']);
  });

  it('an event for a payment whose row does not exist yet is stored pending for the worker (not_yet)', async () => {
    // Carries one of our ids, as a create whose row is still being written would (young: not adopted yet).
    const pi = await stripe.paymentIntents.create({ amount: 900, currency: 'usd', metadata: { [LOCAL_ID_METADATA_KEY]: randomUUID() } });
    const [created] = (await stripe.events.list({ limit: 10, type: 'payment_intent.created' })).data.filter(
      (e) => (e.data.object as { id: string }).id === pi.id,
    );
    expect((await deliver(t, created)).statusCode).toBe(200);
    const row = await until(
      'the worker to try it',
      () => inbox(t, created.id),
      (r) => r?.status === 'pending' && !!r.last_error,
    );
    // Back to pending in the receipt's own transaction (no processed_at), then tried by the worker.
    expect(row).toMatchObject({ status: 'pending', attempts: 1, on_receipt: null, last_error: expect.stringMatching(/^not_yet/) });
  });

  it('with WEBHOOK_APPLY_ON_RECEIPT=false the worker applies every event', async () => {
    const off = await bootApp({ db: t.db, env: env(emulator, { WEBHOOK_APPLY_ON_RECEIPT: 'false' }) });
    try {
      const { paymentId, event } = await succeededEvent(off);
      expect((await deliver(off, event)).statusCode).toBe(200);
      const row = await until(
        'the worker to apply it',
        () => inbox(off, event.id),
        (r) => r?.status === 'processed',
      );
      expect(row).toMatchObject({ attempts: 1, on_receipt: false });
      expect(await payment(off, paymentId)).toMatchObject({ status: 'succeeded' });
    } finally {
      await off.close();
    }
  });
});
