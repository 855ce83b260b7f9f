import Stripe from 'stripe';
import { loadConfig } from '../src/config/configuration';
import { ConfigValidationError } from '../src/config/env.validation';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import {
  newEventId,
  OLD_WEBHOOK_SECRET,
  signatureHeader,
  signedDelivery,
  stripeEvent,
  v1Signature,
  WEBHOOK_SECRET,
} from './utils/stripe-signing';

const URL = '/v1/webhooks/stripe';
// Not sandbox: a test key and an API base nobody listens on (receiving never calls Stripe).
// LOG_LEVEL=warn: at info, the request logger currently spends seconds on a multi-MB body (reported to the lead).
const env = {
  STRIPE_SECRET_KEY: 'sk_test_webhooks_security',
  STRIPE_API_BASE_URL: 'http://127.0.0.1:9',
  WEBHOOK_WORKER_ENABLED: 'false',
  LOG_LEVEL: 'warn',
};

describe('POST /v1/webhooks/stripe: who may deliver', () => {
  let t: TestApp;
  let rotatedOut: TestApp;
  beforeAll(async () => {
    t = await bootApp({ env: { ...env, STRIPE_WEBHOOK_SECRET: `${OLD_WEBHOOK_SECRET},${WEBHOOK_SECRET}` } });
    // The same database after the old secret was removed from the configuration.
    rotatedOut = await bootApp({ db: t.db, env: { ...env, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  });
  afterAll(async () => {
    await rotatedOut?.close();
    await t?.close();
  });

  const rows = async (id: string) =>
    (await query<{ n: string }>(t.db.url, 'SELECT count(*) AS n FROM webhook_events WHERE id = $1', [id]))[0].n;
  const post = (app: TestApp, payload: string | Buffer, signature?: string, contentType = 'application/json') =>
    app.request({
      method: 'POST',
      url: URL,
      apiKey: null,
      payload,
      headers: { 'content-type': contentType, ...(signature !== undefined ? { 'stripe-signature': signature } : {}) },
    });

  function event() {
    const e = stripeEvent('payment_intent.succeeded', { id: `pi_${newEventId().slice(9)}`, object: 'payment_intent', status: 'succeeded' });
    return { e, body: JSON.stringify(e, null, 2) };
  }
  const now = () => Math.floor(Date.now() / 1000);

  it('a valid signature -> 200 and one stored row, without any API key', async () => {
    const { e, body } = event();
    const res = await post(t, body, signatureHeader(body, WEBHOOK_SECRET));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true });
    const [row] = await query(
      t.db.url,
      'SELECT id, type, livemode, stripe_created, object_id, status, source, payload FROM webhook_events WHERE id = $1',
      [e.id],
    );
    expect(row).toMatchObject({
      id: e.id,
      type: 'payment_intent.succeeded',
      livemode: false,
      stripe_created: String(e.created),
      object_id: e.data.object.id,
      status: 'pending',
      source: 'webhook',
    });
    expect(row.payload).toEqual(e);
  });

  it('agrees with the official SDK signer (stripe.webhooks.generateTestHeaderString)', async () => {
    const { e, body } = event();
    const header = new Stripe('sk_test_x').webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET });
    expect(header).toBe(signatureHeader(body, WEBHOOK_SECRET, { timestamp: Number(/t=(\d+)/.exec(header)![1]) }));
    expect((await post(t, body, header)).statusCode).toBe(200);
    expect(await rows(e.id)).toBe('1');
  });

  type Case = [label: string, make: () => { id: string; body: string | Buffer; header?: string }];
  const rejected: Case[] = [
    [
      'body changed by one byte',
      () => {
        const { e, body } = event();
        const header = signatureHeader(body, WEBHOOK_SECRET);
        return { id: e.id, body: body.replace('"succeeded"', '"succeedeD"'), header };
      },
    ],
    [
      'wrong secret',
      () => {
        const { e, body } = event();
        return { id: e.id, body, header: signatureHeader(body, 'whsec_test_attacker_0123456789') };
      },
    ],
    [
      'missing Stripe-Signature header',
      () => {
        const { e, body } = event();
        return { id: e.id, body };
      },
    ],
    [
      'empty Stripe-Signature header',
      () => {
        const { e, body } = event();
        return { id: e.id, body, header: '' };
      },
    ],
    [
      't=abc',
      () => {
        const { e, body } = event();
        return { id: e.id, body, header: `t=abc,v1=${v1Signature(WEBHOOK_SECRET, 'abc', body)}` };
      },
    ],
    [
      'no t at all',
      () => {
        const { e, body } = event();
        return { id: e.id, body, header: `v1=${v1Signature(WEBHOOK_SECRET, now(), body)}` };
      },
    ],
    [
      'garbage header',
      () => {
        const { e, body } = event();
        return { id: e.id, body, header: 'this is not a signature' };
      },
    ],
    [
      'only v0 (a valid HMAC under the v0 label)',
      () => {
        const { e, body } = event();
        const t0 = now();
        return { id: e.id, body, header: `t=${t0},v0=${v1Signature(WEBHOOK_SECRET, t0, body)}` };
      },
    ],
    [
      '301 s old',
      () => {
        const { e, body } = event();
        return { id: e.id, body, header: signatureHeader(body, WEBHOOK_SECRET, { timestamp: now() - 301 }) };
      },
    ],
    [
      '301 s in the future',
      () => {
        const { e, body } = event();
        return { id: e.id, body, header: signatureHeader(body, WEBHOOK_SECRET, { timestamp: now() + 301 }) };
      },
    ],
    [
      'JSON re-serialised after signing',
      () => {
        const { e, body } = event();
        return { id: e.id, body: JSON.stringify(JSON.parse(body)), header: signatureHeader(body, WEBHOOK_SECRET) };
      },
    ],
    [
      'v1 of a different timestamp than t',
      () => {
        const { e, body } = event();
        return { id: e.id, body, header: `t=${now()},v1=${v1Signature(WEBHOOK_SECRET, now() - 1000, body)}` };
      },
    ],
  ];

  it.each(rejected)('%s -> 400 problem+json, nothing stored', async (_label, make) => {
    const before = await query<{ n: string }>(t.db.url, 'SELECT count(*) AS n FROM webhook_events');
    const { id, body, header } = make();
    const res = await post(t, body, header);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, code: 'invalid_signature' });
    expect(await rows(id)).toBe('0');
    expect(await query(t.db.url, 'SELECT count(*) AS n FROM webhook_events')).toEqual(before);
  });

  it('a valid signature over a body that is not a Stripe event -> 400 not_a_stripe_event, nothing stored', async () => {
    const before = await query<{ n: string }>(t.db.url, 'SELECT count(*) AS n FROM webhook_events');
    for (const body of [
      JSON.stringify({ id: newEventId(), object: 'payment_intent', type: 'x', created: now(), livemode: false, data: { object: {} } }),
      JSON.stringify({ id: 'not_an_event_id', object: 'event', type: 'x', created: now(), livemode: false, data: { object: {} } }),
      JSON.stringify({ id: newEventId(), object: 'event', type: 'x', created: 'yesterday', livemode: false, data: { object: {} } }),
      JSON.stringify({ id: newEventId(), object: 'event', type: 'x', created: now(), livemode: false, data: null }),
      JSON.stringify([1, 2, 3]),
      '"just a string"',
    ]) {
      const res = await post(t, body, signatureHeader(body, WEBHOOK_SECRET));
      expect({ body, status: res.statusCode, code: res.json().code }).toEqual({ body, status: 400, code: 'not_a_stripe_event' });
    }
    const broken = '{"id": "evt_broken", "object": "event",';
    const res = await post(t, broken, signatureHeader(broken, WEBHOOK_SECRET));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('not_a_stripe_event');
    // Unsigned bytes are refused before anything reads them: the signature answer, not a JSON error.
    const unsigned = await post(t, broken, signatureHeader(broken, 'whsec_someone_else_0123456789'));
    expect({ status: unsigned.statusCode, code: unsigned.json().code }).toEqual({ status: 400, code: 'invalid_signature' });
    expect(await query(t.db.url, 'SELECT count(*) AS n FROM webhook_events')).toEqual(before);
  });

  it('deliveries arriving together share a batch: bodies that are not events are refused alone', async () => {
    const good = Array.from({ length: 6 }, () => event());
    const bad = [
      '{"id": "evt_half", "object": "event",',
      JSON.stringify({ id: newEventId(), object: 'event', type: 'x', created: 1.5, livemode: false, data: { object: {} } }),
    ];
    const results = await Promise.all([
      ...good.map(({ body }) => post(t, body, signatureHeader(body, WEBHOOK_SECRET))),
      ...bad.map((body) => post(t, body, signatureHeader(body, WEBHOOK_SECRET))),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200, 400, 400]);
    expect(results.slice(6).map((r) => r.json().code)).toEqual(['not_a_stripe_event', 'not_a_stripe_event']);
    for (const { e } of good) expect(await rows(e.id)).toBe('1');
  });

  it('the inbox keeps the exact text that was signed (a json column, lz4-compressed where the server has lz4)', async () => {
    const { e, body } = event();
    expect((await post(t, body, signatureHeader(body, WEBHOOK_SECRET))).statusCode).toBe(200);
    const [row] = await query<{ payload: string }>(t.db.url, 'SELECT payload::text AS payload FROM webhook_events WHERE id = $1', [e.id]);
    expect(row.payload).toBe(body);
    const [column] = await query(
      t.db.url,
      `SELECT atttypid::regtype::text AS type, attcompression = 'l' AS lz4,
              (SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression') AS "serverHasLz4"
         FROM pg_attribute WHERE attrelid = 'webhook_events'::regclass AND attname = 'payload'`,
    );
    expect(column).toEqual({ type: 'json', lz4: column.serverHasLz4, serverHasLz4: expect.any(Boolean) });
  });

  it('13 deliveries at once (a batch padded to a prepared size with copies) -> 13 rows, each with its own body', async () => {
    const events = Array.from({ length: 13 }, () => event());
    const [{ n: before }] = await query<{ n: number }>(t.db.url, 'SELECT count(*)::int AS n FROM webhook_events');
    const results = await Promise.all(events.map(({ body }) => post(t, body, signatureHeader(body, WEBHOOK_SECRET))));
    expect(results.map((r) => r.statusCode)).toEqual(Array(13).fill(200));
    const stored = await query(
      t.db.url,
      `SELECT id, payload->>'id' AS "eventId", payload->'data'->'object'->>'id' AS "objectId" FROM webhook_events WHERE id = ANY($1) ORDER BY id COLLATE "C"`,
      [events.map(({ e }) => e.id)],
    );
    const expected = events.map(({ e }) => ({ id: e.id, eventId: e.id, objectId: (e.data.object as { id: string }).id }));
    expect(stored).toEqual(expected.sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(await query(t.db.url, 'SELECT count(*)::int AS n FROM webhook_events')).toEqual([{ n: before + 13 }]);
  });

  it('an event PostgreSQL cannot store (a NUL in its type) -> 400 unstorable_event; the rest of its batch is stored', async () => {
    const good = Array.from({ length: 3 }, () => event());
    const nul = stripeEvent('payment_intent.\u0000succeeded', { id: 'pi_nul', object: 'payment_intent' });
    const nulBody = JSON.stringify(nul);
    const results = await Promise.all(
      [...good.map(({ body }) => body), nulBody].map((body) => post(t, body, signatureHeader(body, WEBHOOK_SECRET))),
    );
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 400]);
    expect(results[3].json()).toMatchObject({ status: 400, code: 'unstorable_event' });
    expect(results[3].json().detail).toMatch(/0x00/);
    for (const { e } of good) expect(await rows(e.id)).toBe('1');
    expect(await rows(nul.id)).toBe('0');
  });

  it('an event of the other mode (livemode true under a test key) -> 200, stored as ignored with the reason', async () => {
    const e = stripeEvent('payment_intent.succeeded', { id: 'pi_live_mode', object: 'payment_intent' }, { livemode: true });
    const body = JSON.stringify(e);
    expect((await post(t, body, signatureHeader(body, WEBHOOK_SECRET))).statusCode).toBe(200);
    const [row] = await query(t.db.url, 'SELECT livemode, status, note FROM webhook_events WHERE id = $1', [e.id]);
    expect(row).toEqual({ livemode: true, status: 'ignored', note: 'livemode true does not match the configured test key' });
  });

  it('299 s old and 299 s in the future are still inside the tolerance', async () => {
    for (const offset of [-299, 299]) {
      const { e, body } = event();
      expect((await post(t, body, signatureHeader(body, WEBHOOK_SECRET, { timestamp: now() + offset }))).statusCode).toBe(200);
      expect(await rows(e.id)).toBe('1');
    }
  });

  describe('secret rotation (STRIPE_WEBHOOK_SECRET=old,new)', () => {
    it.each([
      ['old and new, old first', [OLD_WEBHOOK_SECRET, WEBHOOK_SECRET]],
      ['old and new, new first', [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET]],
      ['old only', [OLD_WEBHOOK_SECRET]],
      ['new only', [WEBHOOK_SECRET]],
      ['a wrong one and the new one', ['whsec_test_attacker_0123456789', WEBHOOK_SECRET]],
    ])('%s -> 200', async (_label, secrets) => {
      const { e, body } = event();
      expect((await post(t, body, signatureHeader(body, secrets))).statusCode).toBe(200);
      expect(await rows(e.id)).toBe('1');
    });

    it('v0 and other schemes next to a valid v1 are ignored -> 200', async () => {
      const { e, body } = event();
      const header = signatureHeader(body, WEBHOOK_SECRET, { extra: ['v0=deadbeef', 'v2=abc'] });
      expect((await post(t, body, header)).statusCode).toBe(200);
      expect(await rows(e.id)).toBe('1');
    });

    it('after the old secret is removed: old-only -> 400 and nothing stored; old+new -> 200', async () => {
      const { e, body } = event();
      const res = await post(rotatedOut, body, signatureHeader(body, OLD_WEBHOOK_SECRET));
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('invalid_signature');
      expect(await rows(e.id)).toBe('0');
      expect((await post(rotatedOut, body, signatureHeader(body, [OLD_WEBHOOK_SECRET, WEBHOOK_SECRET]))).statusCode).toBe(200);
      expect(await rows(e.id)).toBe('1');
    });
  });

  it('a duplicate delivery -> 200 again and still one row', async () => {
    const { e, body } = event();
    for (let i = 0; i < 3; i++) expect((await post(t, body, signatureHeader(body, WEBHOOK_SECRET))).statusCode).toBe(200);
    expect(await rows(e.id)).toBe('1');
  });

  it('an event of the other mode (livemode=true with a test key) is stored as ignored and answered 200', async () => {
    const e = stripeEvent('payment_intent.succeeded', { id: 'pi_live_1', object: 'payment_intent' }, { livemode: true });
    const res = await t.request({ method: 'POST', url: URL, apiKey: null, ...signedDelivery(e) });
    expect(res.statusCode).toBe(200);
    const [row] = await query<{ status: string; note: string }>(t.db.url, 'SELECT status, note FROM webhook_events WHERE id = $1', [e.id]);
    expect(row.status).toBe('ignored');
    expect(row.note).toMatch(/livemode/);
  });

  it('accepts a big event (an invoice with many lines, ~3 MB)', async () => {
    const lines = Array.from({ length: 6000 }, (_, i) => ({
      id: `il_${i}`,
      object: 'line_item',
      amount: 100 + i,
      description: 'x'.repeat(400),
    }));
    const e = stripeEvent('invoice.finalized', { id: 'in_big', object: 'invoice', lines: { object: 'list', data: lines } });
    const delivery = signedDelivery(e);
    expect(delivery.payload.length).toBeGreaterThan(2_500_000);
    const res = await t.request({ method: 'POST', url: URL, apiKey: null, ...delivery });
    expect(res.statusCode).toBe(200);
    expect(await rows(e.id)).toBe('1');
  });

  it.each([
    [
      {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://x@127.0.0.1/db',
        API_KEYS: 'ops:0123456789abcdef0123',
        STRIPE_SECRET_KEY: 'sk_test_abc',
      },
      'STRIPE_WEBHOOK_SECRET',
    ],
    [{ STRIPE_WEBHOOK_TOLERANCE_SECONDS: 'abc' }, 'STRIPE_WEBHOOK_TOLERANCE_SECONDS'],
    [{ STRIPE_WEBHOOK_TOLERANCE_SECONDS: '0' }, 'STRIPE_WEBHOOK_TOLERANCE_SECONDS'],
    [{ WEBHOOK_MAX_ATTEMPTS: '0' }, 'WEBHOOK_MAX_ATTEMPTS'],
    [{ RECONCILE_INTERVAL_SECONDS: '-1' }, 'RECONCILE_INTERVAL_SECONDS'],
  ])('refuses to boot with %j (names %s)', (env, name) => {
    let problems: string[] = [];
    try {
      loadConfig(env);
    } catch (error) {
      problems = (error as ConfigValidationError).problems;
    }
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${name}: `))]));
  });
});
