import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, TestDatabase } from './utils/database';
import { runService, ServiceProcess } from './utils/process';
import { until } from './utils/wait';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }>;
}

const SERVER = 2;
const CLIENT = 3;
const KEY = 'trace_key_0123456789abcdef';

/**
 * An OTLP/HTTP collector that keeps what it receives in memory: the real service (a process, as in
 * production: OpenTelemetry patches http and pg as they load, which Jest's module loader would bypass)
 * exports to it through the standard OTEL_EXPORTER_OTLP_* variables.
 */
function startCollector(): Promise<{ server: Server; url: string; spans: OtlpSpan[]; paths: string[] }> {
  const spans: OtlpSpan[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      paths.push(req.url ?? '');
      if (req.url === '/v1/traces') {
        const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const rs of parsed.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, paths }),
    ),
  );
}

const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue === undefined ? undefined : String(v.intValue));
};

describe('OpenTelemetry traces (OTLP/HTTP)', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let db: TestDatabase;
  let service: ServiceProcess;

  beforeAll(async () => {
    collector = await startCollector();
    db = await createTestDatabase();
    service = await runService(
      {
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        API_KEYS: `tracer:${KEY}`,
        LOG_LEVEL: 'info',
        RECONCILE_INTERVAL_SECONDS: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_SERVICE_NAME: 'payments-test',
      },
      90_000,
    );
  });
  afterAll(async () => {
    await service?.stop();
    await db?.drop();
    collector?.server.close();
  });

  it('continues an incoming traceparent; the payment shows its SQL statements and its Stripe call as spans; logs carry the traceId', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const res = await fetch(`${service.url}/v1/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', traceparent: `00-${traceId}-${parentId}-01` },
      body: JSON.stringify({ amount: 1500, currency: 'usd', paymentMethod: 'pm_card_visa', confirm: true }),
    });
    expect(res.status).toBe(201);

    const mine = await until(
      'the payment trace to reach the collector',
      async () => collector.spans.filter((s) => s.traceId === traceId),
      (spans) => spans.some((s) => s.kind === SERVER && s.parentSpanId === parentId),
      20_000,
    );
    // Our server span is the child of the caller's span: the trace continues, it does not restart.
    const server = mine.find((s) => s.kind === SERVER && s.parentSpanId === parentId)!;
    expect(attr(server, 'http.route') ?? attr(server, 'http.target') ?? server.name).toMatch(/\/v1\/payments/);

    const all = await until(
      'the SQL and Stripe spans of that trace',
      async () => collector.spans.filter((s) => s.traceId === traceId),
      (spans) =>
        spans.some((s) => attr(s, 'db.system') === 'postgresql' || attr(s, 'db.system.name') === 'postgresql') &&
        spans.some((s) => s.kind === CLIENT && /\/v1\/payment_intents/.test(attr(s, 'url.full') ?? attr(s, 'http.url') ?? '')),
      20_000,
    );
    const statements = all.filter((s) => attr(s, 'db.system') === 'postgresql' || attr(s, 'db.system.name') === 'postgresql');
    expect(statements.map((s) => attr(s, 'db.statement') ?? attr(s, 'db.query.text') ?? '').join('\n')).toMatch(/INSERT INTO|UPDATE/i);
    const stripeCall = all.find(
      (s) => s.kind === CLIENT && /\/v1\/payment_intents/.test(attr(s, 'url.full') ?? attr(s, 'http.url') ?? ''),
    )!;
    expect(attr(stripeCall, 'http.request.method') ?? attr(stripeCall, 'http.method')).toBe('POST');

    const logged = service
      .output()
      .split('\n')
      .filter((line) => line.includes(`"traceId":"${traceId}"`));
    expect(logged.length).toBeGreaterThan(0);

    // Health probes and scrapes are not traced: once a later request's trace has arrived, none of theirs has.
    await fetch(`${service.url}/health/live`);
    await fetch(`${service.url}/metrics`);
    const later = randomBytes(16).toString('hex');
    await fetch(`${service.url}/v1/me`, { headers: { authorization: `Bearer ${KEY}`, traceparent: `00-${later}-${parentId}-01` } });
    await until(
      'the later trace',
      async () => collector.spans.filter((s) => s.traceId === later && s.kind === SERVER),
      (spans) => spans.length > 0,
      20_000,
    );
    const probes = collector.spans.filter((s) =>
      /\/(health|metrics)/.test(`${s.name} ${attr(s, 'url.path') ?? ''} ${attr(s, 'http.target') ?? ''}`),
    );
    expect(probes).toEqual([]);
  });
});
