import type Stripe from 'stripe';
import { callerMetadata } from '../common/stripe/stripe-metadata';

/** Statuses a subscription never leaves. */
export const FINAL_SUBSCRIPTION_STATUSES = ['canceled', 'incomplete_expired'];

const INVOICE_ORDER = `ARRAY['draft','open','uncollectible','paid','void']::text[]`;

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  typeof value === 'string' ? value : (value?.id ?? null);
const toDate = (unix: number | null | undefined): Date | null => (unix ? new Date(unix * 1000) : null);

/** Columns of `subscriptions` a Stripe Subscription dictates (the latest_invoice_* ones belong to invoices). */
export function subscriptionState(sub: Stripe.Subscription): Record<string, unknown> {
  // Since API 2025-03-31 the billing period lives on the items; this service bills one price per subscription.
  const item = sub.items.data[0];
  const latest = sub.latest_invoice;
  return {
    stripe_subscription_id: sub.id,
    status: sub.status,
    price_id: item?.price.id ?? null,
    quantity: item?.quantity ?? 1,
    cancel_at_period_end: sub.cancel_at_period_end,
    current_period_end: toDate(item?.current_period_end),
    canceled_at: toDate(sub.canceled_at),
    metadata: callerMetadata(sub.metadata),
    latest_invoice_id: typeof latest === 'string' ? latest : (latest?.id ?? null),
  };
}

/** The subscription an invoice bills: `parent.subscription_details` in this API version, `subscription` in older payloads. */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  const legacy = (invoice as unknown as { subscription?: string | { id: string } | null }).subscription;
  return idOf(invoice.parent?.subscription_details?.subscription) ?? idOf(legacy);
}

/** The PaymentIntent collecting the invoice (its default payment; legacy `payment_intent` otherwise). */
export function invoicePaymentIntent(invoice: Stripe.Invoice): string | Stripe.PaymentIntent | null {
  const payments = invoice.payments?.data ?? [];
  const payment = payments.find((p) => p.is_default) ?? payments[0];
  const legacy = (invoice as unknown as { payment_intent?: string | Stripe.PaymentIntent | null }).payment_intent;
  return payment?.payment.payment_intent ?? legacy ?? null;
}

export interface InvoiceState {
  id: string;
  status: string | null;
  amountDue: number;
  currency: string;
  created: number;
  /** The PaymentIntent's status when known; `succeeded` for a paid invoice that charged something. */
  paymentStatus: string | null;
  clientSecret: string | null;
}

export function invoiceState(invoice: Stripe.Invoice, intent?: Stripe.PaymentIntent | null): InvoiceState {
  const paid = invoice.status === 'paid';
  return {
    id: invoice.id!,
    status: invoice.status,
    amountDue: invoice.amount_due,
    currency: invoice.currency,
    created: invoice.created,
    paymentStatus: intent?.status ?? (paid && invoice.amount_paid > 0 ? 'succeeded' : null),
    clientSecret: invoice.confirmation_secret?.client_secret ?? intent?.client_secret ?? null,
  };
}

/**
 * UPDATE of the latest_invoice_* columns from an invoice ($1 subscription's Stripe id, $2..$8 InvoiceState,
 * $9 authoritative). Unless authoritative (a fresh retrieve of the subscription), an invoice replaces a
 * different one only if it is not older and its event ($10) is newer than our last fresh answer (that answer
 * named the latest invoice of its second), and the same invoice only moves forward (draft, open, paid|void).
 * The client secret exists only while the invoice is open: a paid invoice needs nothing from the front end.
 */
export const APPLY_INVOICE_SQL = `
  UPDATE subscriptions AS cur SET
    latest_invoice_payment_status = CASE WHEN $7::text IS NOT NULL THEN $7::text WHEN cur.latest_invoice_id = $2 THEN cur.latest_invoice_payment_status END,
    client_secret = CASE WHEN $3::text IS DISTINCT FROM 'open' THEN NULL WHEN $8::text IS NOT NULL THEN $8::text WHEN cur.latest_invoice_id = $2 THEN cur.client_secret END,
    latest_invoice_id = $2, latest_invoice_status = $3, latest_invoice_amount_due = $4, latest_invoice_currency = $5, latest_invoice_created = $6,
    updated_at = now()
  WHERE cur.stripe_subscription_id = $1
    AND ($9::boolean OR cur.latest_invoice_id IS NULL
      OR (cur.latest_invoice_id = $2 AND coalesce(array_position(${INVOICE_ORDER}, $3::text), 0) >= coalesce(array_position(${INVOICE_ORDER}, cur.latest_invoice_status), 0))
      OR (cur.latest_invoice_id <> $2 AND $6::bigint >= coalesce(cur.latest_invoice_created, 0)
          AND ($10::bigint IS NULL OR cur.stripe_synced_at IS NULL OR $10::bigint > cur.stripe_synced_at)))
  RETURNING cur.id`;

export function invoiceParams(subscriptionId: string, s: InvoiceState, authoritative: boolean, eventCreated?: number): unknown[] {
  return [
    subscriptionId,
    s.id,
    s.status,
    s.amountDue,
    s.currency,
    s.created,
    s.paymentStatus,
    s.clientSecret,
    authoritative,
    eventCreated ?? null,
  ];
}
