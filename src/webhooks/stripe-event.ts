/** The fields of a Stripe event this service relies on; the rest is stored as received. */
export interface StripeEventEnvelope {
  id: string;
  object: 'event';
  type: string;
  created: number;
  livemode: boolean;
  api_version?: string | null;
  data: { object: { id?: string; object?: string; [key: string]: unknown }; previous_attributes?: Record<string, unknown> };
}

/** A light shape check, cheap enough for the hot path (no class-validator on a 2 KB - 5 MB body). */
export function isStripeEvent(body: unknown): body is StripeEventEnvelope {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const e = body as Record<string, unknown>;
  const data = e.data as Record<string, unknown> | null | undefined;
  return (
    e.object === 'event' &&
    typeof e.id === 'string' &&
    /^evt_[A-Za-z0-9_]{1,250}$/.test(e.id) &&
    typeof e.type === 'string' &&
    e.type.length > 0 &&
    e.type.length <= 200 &&
    Number.isSafeInteger(e.created) &&
    (e.created as number) >= 0 &&
    typeof e.livemode === 'boolean' &&
    (e.api_version === undefined || e.api_version === null || typeof e.api_version === 'string') &&
    typeof data === 'object' &&
    data !== null &&
    typeof data.object === 'object' &&
    data.object !== null &&
    !Array.isArray(data.object)
  );
}

export function objectIdOf(event: StripeEventEnvelope): string | null {
  const id = event.data.object.id;
  return typeof id === 'string' ? id : null;
}

/**
 * The order a batch of events is applied in: grouped by the object they change, oldest Stripe event first, so
 * that concurrent batches lock shared rows in the same order (the worker's claims and the inbox's receipts).
 */
export function inApplyOrder(a: StripeEventEnvelope, b: StripeEventEnvelope): number {
  return (objectIdOf(a) ?? '').localeCompare(objectIdOf(b) ?? '') || a.created - b.created || a.id.localeCompare(b.id);
}
