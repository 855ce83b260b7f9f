import Stripe from 'stripe';
import { StripeContext } from '@app/stripe';
import type { TestApp } from './utils/app';

export interface EmulatorRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  status: number | null;
  replayed: boolean;
  faulted: boolean;
}

/**
 * What Stripe does after our call answered happens later (a bank challenge, a refund settling): move the
 * emulator's clock on so those events are created after our own answer, as they are in reality.
 */
export async function later(emulatorUrl: string, seconds = 2): Promise<void> {
  const res = await fetch(`${emulatorUrl}/_emulator/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advanceSeconds: seconds }),
  });
  if (!res.ok) throw new Error(`emulator clock: ${res.status}`);
}

/** The Stripe emulator behind a booted app (sandbox mode), seen through its test-only routes. */
export function emulatorOf(t: TestApp) {
  const url = t.app.get(StripeContext).emulatorUrl!;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
  };
  return {
    url,
    /** The emulator's request log. Assertions of "no Stripe call" look at POSTs: reconciliation may read (GET) in the background. */
    requests: async (filter: Partial<Pick<EmulatorRequest, 'method'>> & { pathPrefix?: string } = {}): Promise<EmulatorRequest[]> =>
      ((await call('GET', '/_emulator/requests')).body.data as EmulatorRequest[]).filter(
        (r) => (!filter.method || r.method === filter.method) && (!filter.pathPrefix || r.path.startsWith(filter.pathPrefix)),
      ),
    clearRequests: () => call('DELETE', '/_emulator/requests'),
    fault: (fault: Record<string, unknown>) => call('POST', '/_emulator/faults', fault),
    clearFaults: () => call('DELETE', '/_emulator/faults'),
    object: async (id: string) => (await call('GET', `/_emulator/objects/${id}`)).body,
    later: (seconds = 2) => later(url, seconds),
    /** Stops Stripe's clock (or lets it run again): answers and events then share one second on purpose. */
    holdClock: (hold: boolean) => call('POST', '/_emulator/clock', { hold }),
    threeDSecure: (intentId: string, result: 'success' | 'failure') =>
      fetch(`${url}/_emulator/3ds/${intentId}?result=${result}`, { redirect: 'manual' }),
    /** Every PaymentIntent the emulator holds (listed through the API itself). */
    intents: async () => {
      const res = await fetch(`${url}/v1/payment_intents?limit=100`, { headers: { authorization: 'Bearer sk_test_emulator' } });
      return ((await res.json()) as { data: Array<Record<string, any>> }).data;
    },
  };
}

export async function createCustomer(t: TestApp, email = 'buyer@example.com'): Promise<string> {
  const res = await t.request({ method: 'POST', url: '/v1/customers', payload: { email } });
  if (res.statusCode !== 201) throw new Error(`customer: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

/** A PaymentIntent as Stripe embeds it in an event, for one of our payments (the fields our mirror reads). */
export function paymentIntentObject(stripeId: string, localId: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: stripeId,
    object: 'payment_intent',
    amount: 1000,
    amount_capturable: 0,
    amount_received: 0,
    currency: 'usd',
    status: 'requires_payment_method',
    capture_method: 'automatic',
    client_secret: null,
    next_action: null,
    last_payment_error: null,
    description: null,
    receipt_email: null,
    metadata: { payments_service_id: localId },
    latest_charge: null,
    ...fields,
  };
}

/** The official SDK pointed at the app's sandbox emulator, as a test drives "Stripe" directly. */
export function stripeOf(t: TestApp): Stripe {
  const { hostname, port } = new URL(emulatorOf(t).url);
  return new Stripe('sk_test_emulator', { host: hostname, port: Number(port), protocol: 'http' });
}

/** A monthly USD price at the emulator (the catalog is managed in Stripe, not by this service). */
export async function createMonthlyPrice(t: TestApp, unitAmount = 1500): Promise<string> {
  const price = await stripeOf(t).prices.create({
    currency: 'usd',
    unit_amount: unitAmount,
    recurring: { interval: 'month' },
    product_data: { name: 'Pro' },
  });
  return price.id;
}
