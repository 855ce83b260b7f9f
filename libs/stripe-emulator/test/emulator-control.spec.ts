import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStripeEmulator } from '@app/stripe-emulator';
import { client, useEmulator } from './helpers';

const h = useEmulator();

describe('/_emulator control routes', () => {
  beforeEach(() => h.reset());

  it('reads raw objects, resets everything and moves the clock', async () => {
    const customer = await h.stripe.customers.create({ email: 'raw@example.com' });
    const raw = await h.control('GET', `/objects/${customer.id}`);
    expect(raw).toMatchObject({ status: 200, body: { id: customer.id, email: 'raw@example.com' } });
    expect((await h.control('GET', '/objects/cus_missing')).status).toBe(404);

    const before = (await h.control('GET', '/clock')).body.now;
    const moved = await h.control('POST', '/clock', { advanceSeconds: 3600 });
    expect(moved.body.now - before).toBeGreaterThanOrEqual(3600);
    const later = await h.stripe.customers.create({});
    expect(later.created - customer.created).toBeGreaterThanOrEqual(3600);

    expect((await h.control('POST', '/reset')).status).toBe(200);
    expect((await h.stripe.customers.list()).data).toHaveLength(0);
    expect((await h.stripe.events.list()).data).toHaveLength(0);
    const log = (await h.control('GET', '/requests')).body.data;
    expect(log.map((r: any) => `${r.method} ${r.path}`)).toEqual(['GET /v1/customers', 'GET /v1/events']);
    expect((await h.control('GET', '/nope')).status).toBe(404);
  });

  it('keeps objects across a restart with persistPath', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stripe-emulator-'));
    const persistPath = join(dir, 'state.json');
    try {
      const first = await startStripeEmulator({ persistPath });
      const customer = await client(first).customers.create({ email: 'kept@example.com', metadata: { a: '1' } });
      await client(first).paymentIntents.create(
        { amount: 1000, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true },
        { idempotencyKey: 'persisted' },
      );
      await first.close();

      const second = await startStripeEmulator({ persistPath });
      try {
        const stripe = client(second);
        expect(await stripe.customers.retrieve(customer.id)).toMatchObject({
          email: 'kept@example.com',
          metadata: { a: '1' },
        });
        const [pi] = (await stripe.paymentIntents.list({ customer: customer.id })).data;
        expect(pi.status).toBe('succeeded');
        const replay = await stripe.paymentIntents.create(
          { amount: 1000, currency: 'usd', customer: customer.id, payment_method: 'pm_card_visa', confirm: true },
          { idempotencyKey: 'persisted' },
        );
        expect(replay.id).toBe(pi.id);
        expect((await stripe.events.list({ type: 'payment_intent.succeeded' })).data).toHaveLength(1);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
