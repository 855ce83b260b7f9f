import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { newEventId, signatureHeader, stripeEvent, WEBHOOK_SECRET } from './utils/stripe-signing';

// Receiving never calls Stripe; the worker stays off so only the inbox write is under test.
const env = {
  STRIPE_SECRET_KEY: 'sk_test_webhooks_poison',
  STRIPE_API_BASE_URL: 'http://127.0.0.1:9',
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  WEBHOOK_WORKER_ENABLED: 'false',
  LOG_LEVEL: 'warn',
};

describe('a poison event fails alone (#10)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({ env });
  });
  afterAll(() => t?.close());

  const deliver = (body: string) =>
    fetch(`${t.url}/v1/webhooks/stripe`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signatureHeader(body, WEBHOOK_SECRET) },
    });
  const good = () =>
    JSON.stringify(
      stripeEvent('payment_intent.succeeded', { id: `pi_${newEventId().slice(9)}`, object: 'payment_intent', status: 'succeeded' }),
    );

  it('1 event nested 100,000 levels (PostgreSQL: stack depth exceeded) + 49 good, concurrently -> 49 x 200, 1 x 400 unstorable_event, 49 rows', async () => {
    // Signed by Stripe's secret, so it passes every check before the inbox; PostgreSQL's json input cannot take it.
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const poisonId = newEventId();
    const poison = JSON.stringify(
      stripeEvent('payment_intent.succeeded', { id: 'pi_poison', object: 'payment_intent', nested: 0 }, { id: poisonId }),
    ).replace('"nested":0', `"nested":${deep}`);
    const bodies = Array.from({ length: 49 }, good);
    bodies.splice(17, 0, poison);

    const answers = await Promise.all(bodies.map(async (body) => ({ status: (await deliver(body)).status, body })));
    const tally: Record<string, number> = {};
    for (const { status, body } of answers) {
      const key = `${status}${body === poison ? ' poison' : ''}`;
      tally[key] = (tally[key] ?? 0) + 1;
    }
    expect(tally).toEqual({ '200': 49, '400 poison': 1 });
    const res = await deliver(poison);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 400, code: 'unstorable_event' });

    const ids = bodies.filter((b) => b !== poison).map((b) => (JSON.parse(b) as { id: string }).id);
    const stored = await query<{ id: string }>(t.db.url, 'SELECT id FROM webhook_events WHERE id = ANY($1)', [[...ids, poisonId]]);
    expect(stored.map((r) => r.id).sort()).toEqual(ids.sort());
  });
});
