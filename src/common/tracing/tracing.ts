/* eslint-disable @typescript-eslint/no-require-imports -- the SDK is loaded only when tracing is on */
import { trace } from '@opentelemetry/api';
import type { FastifyOtelInstrumentation } from '@fastify/otel';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { FastifyInstance } from 'fastify';

export interface TracingSettings {
  /** True when OTEL_EXPORTER_OTLP_ENDPOINT (or its traces-only variant) is set. */
  enabled: boolean;
  serviceName: string;
}

// Scrapes and probes every few seconds would drown the traces that matter.
const UNTRACED = /^\/(metrics|health\/)/;

let sdk: NodeSDK | undefined;
let fastifyInstrumentation: FastifyOtelInstrumentation | undefined;

/**
 * Starts OpenTelemetry: spans for incoming and outgoing HTTP (the Stripe SDK's calls included), Fastify
 * routes and every PostgreSQL statement, exported over OTLP as the standard OTEL_EXPORTER_OTLP_* variables
 * say (protocol, headers, timeout...). An incoming W3C `traceparent` is continued.
 *
 * Must run before http, pg and fastify are loaded (src/instrument.ts is main's first import): the
 * instrumentations patch them as they load. Off, none of the SDK is loaded and nothing is patched, so an
 * instance without a collector pays nothing (on Node 20 an active AsyncLocalStorage costs every promise).
 */
export function startTracing(settings: TracingSettings): void {
  if (!settings.enabled || sdk) return;
  const { NodeSDK: Sdk } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { FastifyOtelInstrumentation: FastifyOtel } = require('@fastify/otel') as typeof import('@fastify/otel');
  // Route spans only: a span per lifecycle hook would triple the spans of every request.
  fastifyInstrumentation = new FastifyOtel({ instrumentHooks: false, ignorePaths: ({ url }) => UNTRACED.test(url) });
  sdk = new Sdk({
    serviceName: settings.serviceName,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED.test(request.url ?? '') }),
      // Statements outside any request (the inbox worker's polling) would each be a trace of their own.
      new PgInstrumentation({ requireParentSpan: true }),
      fastifyInstrumentation,
    ],
  });
  sdk.start();
}

/**
 * Fastify route spans; the plugin must be registered before the routes (createApp, before Nest adds them).
 * Loaded from ESM (@nestjs/platform-fastify), fastify cannot be patched as it loads, hence a plugin.
 */
export async function registerFastifyTracing(fastify: FastifyInstance): Promise<void> {
  if (fastifyInstrumentation) await fastify.register(fastifyInstrumentation.plugin());
}

/** The trace id of the active span, for log lines; undefined when tracing is off or outside any span. */
export function activeTraceId(): string | undefined {
  if (!sdk) return undefined;
  const context = trace.getActiveSpan()?.spanContext();
  return context && trace.isSpanContextValid(context) ? context.traceId : undefined;
}

/** Flushes the spans still buffered; called at shutdown. */
export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}
