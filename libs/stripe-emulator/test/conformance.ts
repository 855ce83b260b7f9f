import http from 'node:http';
import { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { SHAPES } from '../src/core/shapes';
import { ShapeReport } from './shape-check';

const ERROR_TYPES = ['api_error', 'card_error', 'idempotency_error', 'invalid_request_error'];

/**
 * Drives routes through the official SDK and checks every answer, error body and event payload
 * against the shapes generated from the SDK's declarations for the pinned version.
 */
export class Conformance {
  readonly report = new ShapeReport();
  readonly covered = new Set<string>();
  readonly failedCalls: string[] = [];
  errorsChecked = 0;
  eventsChecked = 0;

  /** A successful call of the route `key` (e.g. `POST /v1/customers`); its answer is checked. */
  async ok<T>(key: string, call: () => Promise<T>): Promise<T> {
    this.covered.add(key);
    const route = SHAPES.routes[key];
    try {
      const result = await call();
      if (!route) this.report.problems.push(`${key}: route not in the generated shapes`);
      else this.report.check(JSON.parse(JSON.stringify(result)), route.returns, key);
      return result;
    } catch (err) {
      this.failedCalls.push(`${key}: ${(err as Error).message}`);
      return undefined as T;
    }
  }

  /** A call of `key` that must fail with `status`; the error body is checked against Stripe's error rules. */
  async fails(key: string, status: number, call: () => Promise<unknown>, expected: { code?: string; param?: string } = {}): Promise<void> {
    this.covered.add(key);
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof Stripe.errors.StripeError)) {
      this.failedCalls.push(`${key}: expected a ${status} error, got ${err === undefined ? 'success' : String(err)}`);
      return;
    }
    this.errorsChecked++;
    const raw = err.raw as Record<string, unknown>;
    const where = `${key} (error ${status})`;
    if (err.statusCode !== status) this.report.problems.push(`${where}: status ${err.statusCode}`);
    if (!ERROR_TYPES.includes(String(raw.type))) this.report.problems.push(`${where}: error.type ${String(raw.type)}`);
    if (typeof raw.message !== 'string') this.report.problems.push(`${where}: error.message missing`);
    if (typeof raw.request_log_url !== 'string') this.report.problems.push(`${where}: request_log_url is not a string`);
    if (raw.code !== undefined && typeof raw.doc_url !== 'string') this.report.problems.push(`${where}: doc_url missing`);
    if (expected.code && raw.code !== expected.code)
      this.report.problems.push(`${where}: code ${String(raw.code)}, expected ${expected.code}`);
    if (expected.param && raw.param !== expected.param) {
      this.report.problems.push(`${where}: param ${String(raw.param)}, expected ${expected.param}`);
    }
    if (raw.payment_intent) this.report.check(raw.payment_intent, { t: 'ref', r: 'PaymentIntent' }, `${where}.payment_intent`);
    if (raw.payment_method) this.report.check(raw.payment_method, { t: 'ref', r: 'PaymentMethod' }, `${where}.payment_method`);
  }

  /** An event as listed or delivered: envelope as EventBase, `data.object` as that event type's object. */
  event(event: Record<string, unknown>, where: string): void {
    this.eventsChecked++;
    const { data, ...envelope } = event;
    this.report.check(
      { ...envelope, data: { ...(data as object), object: {} } },
      { t: 'ref', r: 'EventBase' },
      `${where} ${String(event.type)}`,
    );
    const objectType = SHAPES.events[String(event.type)];
    if (!objectType) {
      this.report.problems.push(`${where} ${String(event.type)}: event type unknown to the pinned version`);
      return;
    }
    this.report.check((data as Record<string, unknown>).object, { t: 'ref', r: objectType }, `${where} ${String(event.type)}.data.object`);
  }

  uncovered(): string[] {
    return Object.keys(SHAPES.routes).filter((k) => !this.covered.has(k));
  }

  summary(): string {
    return (
      `conformance: ${this.report.objects} objects and ${this.report.properties} properties checked ` +
      `(${this.eventsChecked} event payloads, ${this.errorsChecked} error bodies, ${this.covered.size} routes); ` +
      `${this.report.problems.length} problems, ${this.failedCalls.length} failed calls`
    );
  }
}

/** Collects raw webhook bodies. */
export async function webhookSink(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    bodies,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
