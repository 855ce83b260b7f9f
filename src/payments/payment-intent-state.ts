import type Stripe from 'stripe';
import { callerMetadata } from './stripe-metadata';

/** Statuses a PaymentIntent never leaves. */
export const FINAL_PAYMENT_STATUSES = ['succeeded', 'canceled'];
export const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
// Stripe also cancels some `processing` intents (certain payment methods); cards do not get there.
export const CANCELABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture'];

/** Column values of `payments` taken from a Stripe PaymentIntent (in SQL parameter order, see PAYMENT_STATE_COLUMNS). */
export function paymentStateValues(intent: Stripe.PaymentIntent): unknown[] {
  const error = intent.last_payment_error;
  return [
    intent.id,
    intent.amount,
    intent.amount_capturable ?? 0,
    intent.amount_received ?? 0,
    intent.currency,
    intent.status,
    intent.capture_method === 'manual' ? 'manual' : 'automatic',
    intent.client_secret ?? null,
    intent.next_action ? JSON.stringify(intent.next_action) : null,
    error ? JSON.stringify({ code: error.code ?? null, declineCode: error.decline_code ?? null, message: error.message ?? null }) : null,
    intent.description ?? null,
    intent.receipt_email ?? null,
    JSON.stringify(callerMetadata(intent.metadata)),
  ];
}

export const PAYMENT_STATE_COLUMNS = [
  'stripe_payment_intent_id',
  'amount',
  'amount_capturable',
  'amount_received',
  'currency',
  'status',
  'capture_method',
  'client_secret',
  'next_action',
  'last_payment_error',
  'description',
  'receipt_email',
  'metadata',
];

const ORDER = `ARRAY['requires_payment_method','requires_confirmation','requires_action','processing','requires_capture','succeeded','canceled']::text[]`;

/**
 * SQL condition under which the incoming state ($status, $ev) may replace the stored one (alias `cur`).
 * Never out of a final status; never older than the last applied event nor than the last fresh answer
 * (stripe_synced_at: that answer already includes every event of its second); between events of the same
 * second, the status later in the normal order wins. A fresh answer ($ev NULL) is always newer.
 */
export function paymentWriteGuard(cur: string, status: string, ev: string): string {
  return `(${cur}.status NOT IN ('succeeded','canceled') OR ${cur}.status = ${status})
    AND (${ev} IS NULL OR ${cur}.stripe_synced_at IS NULL OR ${ev} > ${cur}.stripe_synced_at)
    AND (${ev} IS NULL OR ${cur}.stripe_event_created IS NULL OR ${ev} > ${cur}.stripe_event_created
         OR (${ev} = ${cur}.stripe_event_created AND array_position(${ORDER}, ${status}) >= array_position(${ORDER}, ${cur}.status)))`;
}
