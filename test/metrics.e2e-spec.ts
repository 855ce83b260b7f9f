import { StripeContext } from '@app/stripe';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCustomer, emulatorOf } from './payments-helpers';
import { bootApp, TestApp } from './utils/app';
import { query } from './utils/database';
import { signatureHeader, stripeEvent } from './utils/stripe-signing';
import { until } from './utils/wait';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

// Sandbox mode: the real SDK talks HTTP to the in-process emulator, which delivers signed webhooks to the app.
describe('GET /metrics (Prometheus)', () => {
  let t: TestApp;
  let emulator: ReturnType<typeof emulatorOf>;
  beforeAll(async () => {
    t = await bootApp({ env: { WEBHOOK_WORKER_POLL_MS: '100', RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'warn' } });
    emulator = emulatorOf(t);
  });
  afterAll(() => t?.close());

  const scrape = async () => {
    const res = await t.request({ url: '/metrics', apiKey: null });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(res.body);
  };
  const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
    samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
  const post = (url: string, payload: unknown, key?: string) =>
    t.request({ method: 'POST', url, payload: payload as Record<string, unknown>, headers: key ? { 'idempotency-key': key } : {} });

  it('shows a payment, a decline, a webhook, a replay, a Stripe retry and reconciliation, each with sane labels', async () => {
    const customerId = await createCustomer(t, 'metrics@example.com');

    const paid = await post(
      '/v1/payments',
      { amount: 2000, currency: 'usd', customerId, paymentMethod: 'pm_card_visa', confirm: true },
      'k-pay',
    );
    expect(paid.statusCode).toBe(201);
    const replay = await post(
      '/v1/payments',
      { amount: 2000, currency: 'usd', customerId, paymentMethod: 'pm_card_visa', confirm: true },
      'k-pay',
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await post('/v1/payments', { amount: 2001, currency: 'usd', paymentMethod: 'pm_card_visa' }, 'k-pay')).statusCode).toBe(422);
    const declined = await post('/v1/payments', { amount: 900, currency: 'usd', paymentMethod: 'pm_card_chargeDeclined', confirm: true });
    expect(declined.statusCode).toBe(402);

    // One 500, then the SDK's automatic retry with the same idempotency key succeeds.
    await emulator.fault({ count: 1, method: 'POST', path: '/v1/customers', status: 500 });
    expect((await post('/v1/customers', { email: 'retried@example.com' })).statusCode).toBe(201);
    // A connection cut before any answer, then the retry.
    await emulator.fault({ count: 1, method: 'POST', path: '/v1/customers', drop: true });
    expect((await post('/v1/customers', { email: 'dropped@example.com' })).statusCode).toBe(201);
    expect((await t.request({ url: '/no/such/route' })).statusCode).toBe(404);

    // A delivery Stripe makes twice, and one with a bad signature.
    const secret = t.app.get(StripeContext).webhookSecrets[0];
    const body = JSON.stringify(stripeEvent('customer.updated', { id: 'cus_unknown_to_us', object: 'customer', email: 'x@example.com' }));
    for (let i = 0; i < 2; i++) {
      const res = await t.request({
        method: 'POST',
        url: '/v1/webhooks/stripe',
        apiKey: null,
        headers: { 'content-type': 'application/json', 'stripe-signature': signatureHeader(body, secret) },
        payload: body,
      });
      expect(res.statusCode).toBe(200);
    }
    const forged = await t.request({
      method: 'POST',
      url: '/v1/webhooks/stripe',
      apiKey: null,
      headers: { 'content-type': 'application/json', 'stripe-signature': signatureHeader(body, 'whsec_forged_0123456789') },
      payload: body,
    });
    expect(forged.statusCode).toBe(400);

    expect((await t.request({ method: 'POST', url: '/v1/admin/reconcile' })).statusCode).toBeLessThan(300);

    // The emulator's own payment_intent.succeeded delivery (stale: our API call wrote that state first) and our
    // signed customer.updated (foreign), both handled by the worker, in whichever order it claims them.
    let m: Sample[] = [];
    await until(
      'the payment_intent.succeeded and customer.updated events handled',
      async () => {
        m = await scrape();
        return [
          value(m, 'webhook_apply_duration_seconds_count', { event_type: 'payment_intent.succeeded' }),
          value(m, 'webhook_apply_duration_seconds_count', { event_type: 'customer.updated' }),
        ];
      },
      ([succeeded, updated]) => succeeded >= 1 && updated >= 1,
    );

    const http = (method: string, route: string, status: string) =>
      value(m, 'http_server_request_duration_seconds_count', { method, route, status_code: status });
    expect(http('POST', '/v1/payments', '201')).toBeGreaterThanOrEqual(2); // first answer and its replay
    expect(http('POST', '/v1/payments', '402')).toBe(1);
    expect(http('POST', '/v1/payments', '422')).toBe(1);
    expect(http('POST', '/v1/webhooks/stripe', '400')).toBe(1);
    expect(http('GET', 'unmatched', '404')).toBe(1);
    // Templates, never raw URLs: no id in any route label.
    expect(m.filter((s) => s.name.startsWith('http_server_request_duration_seconds') && /[0-9a-f]{8}-/.test(s.labels.route ?? ''))).toEqual(
      [],
    );

    const stripe = (operation: string, outcome: string) => value(m, 'stripe_api_request_duration_seconds_count', { operation, outcome });
    expect(stripe('POST /v1/payment_intents', 'ok')).toBeGreaterThanOrEqual(1);
    expect(stripe('POST /v1/payment_intents', 'card_error')).toBe(1);
    expect(stripe('POST /v1/customers', 'api_error')).toBe(1);
    expect(stripe('POST /v1/customers', 'connection_error')).toBe(1);
    expect(value(m, 'stripe_api_retries_total', { operation: 'POST /v1/customers' })).toBe(2);
    expect(stripe('GET /v1/events', 'ok')).toBeGreaterThanOrEqual(1);
    const operations = new Set(m.filter((s) => s.name === 'stripe_api_request_duration_seconds_count').map((s) => s.labels.operation));
    for (const op of operations) expect(op).toMatch(/^(GET|POST|DELETE) \/v1(\/([a-z_]+|\{id\}))+$/);

    expect(value(m, 'webhook_events_received_total', { result: 'stored' })).toBeGreaterThanOrEqual(2); // ours and the emulator's
    expect(value(m, 'webhook_events_received_total', { result: 'duplicate' })).toBe(1);
    expect(value(m, 'webhook_events_received_total', { result: 'invalid_signature' })).toBe(1);
    expect(value(m, 'webhook_apply_duration_seconds_count', { event_type: 'customer.updated', result: 'foreign' })).toBe(1);
    const results = new Set(m.filter((s) => s.name === 'webhook_apply_duration_seconds_count').map((s) => s.labels.result));
    for (const result of results) expect(['applied', 'stale', 'foreign', 'unhandled', 'not_yet', 'error']).toContain(result);

    expect(value(m, 'idempotency_requests_total', { outcome: 'new' })).toBe(1);
    expect(value(m, 'idempotency_requests_total', { outcome: 'replayed' })).toBe(1);
    expect(value(m, 'idempotency_requests_total', { outcome: 'mismatch' })).toBe(1);

    expect(value(m, 'reconciliation_runs_total', { result: 'ok' })).toBe(1);
    expect(m.some((s) => s.name === 'reconciliation_events_recovered_total')).toBe(true);

    for (const status of ['pending', 'processing', 'failed'])
      expect(m.filter((s) => s.name === 'webhook_inbox_events' && s.labels.status === status)).toHaveLength(1);
    expect(value(m, 'webhook_inbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);

    // Every series the Grafana dashboard plots exists.
    const dashboard = readFileSync(join(__dirname, '..', 'ops', 'grafana-dashboard.json'), 'utf8');
    const plotted = new Set([...dashboard.matchAll(/([a-z][a-z0-9_]+)\{job=~/g)].map((x) => x[1]));
    expect(plotted.size).toBeGreaterThan(10);
    for (const name of plotted) expect(m.some((s) => s.name === name) ? name : `missing: ${name}`).toBe(name);

    // prom-client's process metrics.
    for (const name of ['process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds'])
      expect(m.some((s) => s.name === name)).toBe(true);
  });

  it('reads the inbox gauges from the database (cached for a few seconds, see metrics.spec.ts)', async () => {
    const before = value(await scrape(), 'webhook_inbox_events', { status: 'failed' });
    const rows = await query(t.db.url, `UPDATE webhook_events SET status = 'failed' WHERE status = 'processed' RETURNING id`);
    expect(rows.length).toBeGreaterThan(0);
    const after = await until(
      'the failed gauge to count the new dead letters',
      scrape,
      (s) => value(s, 'webhook_inbox_events', { status: 'failed' }) === before + rows.length,
      15_000,
    );
    expect(value(after, 'webhook_inbox_events', { status: 'failed' })).toBe(before + rows.length);
  });

  it('needs no API key and is switched off by METRICS_ENABLED=false', async () => {
    const off = await bootApp({ env: { METRICS_ENABLED: 'false', RECONCILE_INTERVAL_SECONDS: '0', LOG_LEVEL: 'warn' } });
    try {
      const res = await off.request({ url: '/metrics', apiKey: null });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'not_found' });
    } finally {
      await off.close();
    }
  });
});
