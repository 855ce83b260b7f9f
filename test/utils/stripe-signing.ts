import { createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET = 'whsec_test_primary_0123456789abcdef';
export const OLD_WEBHOOK_SECRET = 'whsec_test_old_0123456789abcdef';

/** v1 signature exactly as Stripe computes it: HMAC-SHA256 keyed with the whole secret over `${t}.${body}`. */
export function v1Signature(secret: string, timestamp: number | string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

export interface SignOptions {
  /** Unix seconds; default now. */
  timestamp?: number | string;
  /** Extra parts appended as given (e.g. `v0=...`). */
  extra?: string[];
}

/** A `Stripe-Signature` header with one v1 per secret, in the order given. */
export function signatureHeader(body: string | Buffer, secrets: string | string[], options: SignOptions = {}): string {
  const t = options.timestamp ?? Math.floor(Date.now() / 1000);
  const parts = [`t=${t}`, ...[secrets].flat().map((s) => `v1=${v1Signature(s, t, body)}`), ...(options.extra ?? [])];
  return parts.join(',');
}

export const newEventId = () => `evt_test_${randomBytes(12).toString('hex')}`;

export interface EventOptions {
  id?: string;
  created?: number;
  livemode?: boolean;
  previousAttributes?: Record<string, unknown>;
}

/** A Stripe event envelope around `object`, shaped as Stripe sends it. */
export function stripeEvent(type: string, object: Record<string, unknown>, options: EventOptions = {}) {
  return {
    id: options.id ?? newEventId(),
    object: 'event',
    api_version: '2026-10-28.endive',
    created: options.created ?? Math.floor(Date.now() / 1000),
    data: { object, ...(options.previousAttributes ? { previous_attributes: options.previousAttributes } : {}) },
    livemode: options.livemode ?? false,
    pending_webhooks: 1,
    request: { id: `req_${randomBytes(7).toString('hex')}`, idempotency_key: null },
    type,
  };
}

/** Headers and bytes of a signed delivery, ready for `t.request({ method: 'POST', url, ...signedDelivery(...) })`. */
export function signedDelivery(event: unknown, secrets: string | string[] = WEBHOOK_SECRET, options: SignOptions = {}) {
  const payload = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
  return {
    payload,
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signatureHeader(payload, secrets, options) },
  };
}
