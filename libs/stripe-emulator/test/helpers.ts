/// <reference types="jest" />
import Stripe from 'stripe';
import { StripeEmulator, StripeEmulatorOptions, startStripeEmulator } from '@app/stripe-emulator';

export interface Harness {
  emulator: StripeEmulator;
  stripe: Stripe;
  /** Calls an `/_emulator` route with a JSON body. */
  control<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  reset(): Promise<void>;
}

export function client(
  emulator: StripeEmulator,
  key = emulator.secretKey,
  extra: Record<string, unknown> = {},
): Stripe {
  return new Stripe(key, { host: '127.0.0.1', port: emulator.port, protocol: 'http', ...extra });
}

/** One emulator per test file; call in the file's top-level scope. */
export function useEmulator(options: StripeEmulatorOptions = {}): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.emulator = await startStripeEmulator({
      asyncDelayMs: 50,
      webhookRetryDelaysMs: [50, 100, 200],
      webhookTimeoutMs: 1000,
      ...options,
    });
    harness.stripe = client(harness.emulator);
    harness.control = async (method, path, body) => {
      const res = await fetch(`${harness.emulator.url}/_emulator${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    harness.reset = async () => {
      await harness.control('POST', '/reset');
    };
  });
  afterAll(async () => {
    await harness.emulator.close();
  });
  return harness;
}

export async function eventTypes(stripe: Stripe, params: Stripe.EventListParams = {}): Promise<string[]> {
  const list = await stripe.events.list({ limit: 100, ...params });
  return list.data.map((e) => e.type).reverse();
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
