import {
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  Metric,
  Registry,
} from 'prom-client';

/**
 * The one registry `GET /metrics` serves. Features define their metrics at module scope with the helpers
 * below and update them where the thing happens:
 *
 *   const deliveries = counter({ name: 'notification_deliveries_total', help: '...', labelNames: ['result'] });
 *   deliveries.inc({ result: 'ok' });
 *
 * Updating a metric costs well under a microsecond and needs no check of METRICS_ENABLED: switched off,
 * nothing is served, the HTTP hook and the process collectors are not installed, and the counters just count.
 * Label values must come from a small fixed set (a status, a route template, an event type), never an id.
 */
export const metricsRegistry = new Registry();

// Get-or-create: a second definition under the same name (the same file loaded twice) reuses the first.
function define<T extends Metric>(name: string, create: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? create();
}

export function counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
  return define(config.name, () => new Counter({ ...config, registers: [metricsRegistry] }));
}

export function gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
  return define(config.name, () => new Gauge({ ...config, registers: [metricsRegistry] }));
}

export function histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
  return define(config.name, () => new Histogram({ ...config, registers: [metricsRegistry] }));
}

/** Buckets for durations in seconds, from a prepared statement (1 ms) to a slow Stripe call (10 s). */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Wraps an expensive read (a database count) so that scrapes reuse its last result for `maxAgeMs`, and
 * concurrent scrapes share one read in flight: however often Prometheus (or several) scrape, the database
 * sees at most one such query per `maxAgeMs`.
 */
export function cachedRead<T>(read: () => Promise<T>, maxAgeMs: number): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!last || Date.now() - last.at >= maxAgeMs) {
      const value = read();
      last = { at: Date.now(), value };
      // A failed read is not cached: the next scrape tries again.
      value.catch(() => {
        if (last?.value === value) last = undefined;
      });
    }
    return last.value;
  };
}

const samplers = new Set<() => Promise<unknown>>();

/**
 * For gauges read from the database: `sample` sets them and runs before a scrape, at most once per
 * `maxAgeMs` (see cachedRead). Register from a provider's onModuleInit (it has the DataSource) and call
 * the returned function on destroy. A failing sample leaves the gauges at their last values.
 */
export function sampleBeforeScrape(sample: () => Promise<void>, maxAgeMs = 5000): () => void {
  const cached = cachedRead(sample, maxAgeMs);
  samplers.add(cached);
  return () => samplers.delete(cached);
}

/** The Prometheus text exposition of every metric, samplers run first. */
export async function renderMetrics(): Promise<string> {
  await Promise.all([...samplers].map((sample) => sample().catch(() => undefined)));
  return metricsRegistry.metrics();
}

let defaultsCollected = false;

/** prom-client's process metrics (CPU, heap, GC, event-loop lag, handles), once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: metricsRegistry });
}
