import type { Json, ListObject, Live, Metadata, Nulls } from './objects';

/* Billing's stored objects; objects.ts says how they are typed. */

export interface ProductObject extends Live, Nulls<'package_dimensions' | 'shippable' | 'tax_code'> {
  object: 'product';
  active: boolean;
  default_price: string | null;
  description: string | null;
  images: string[];
  marketing_features: Json[];
  metadata: Metadata;
  /** '' on update clears it, as for every string field the emulator updates. */
  name: string | null;
  statement_descriptor: string | null;
  type: 'service';
  unit_label: string | null;
  updated: number;
  url: string | null;
}

export type Interval = 'day' | 'week' | 'month' | 'year';

export interface Recurring extends Nulls<'meter' | 'trial_period_days'> {
  interval: Interval;
  interval_count: number;
  usage_type: 'licensed';
}

export interface PriceObject extends Live, Nulls<'custom_unit_amount' | 'tiers_mode' | 'transform_quantity'> {
  object: 'price';
  active: boolean;
  billing_scheme: 'per_unit';
  currency: string;
  lookup_key: string | null;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  recurring: Recurring | null;
  tax_behavior: 'unspecified';
  type: 'recurring' | 'one_time';
  unit_amount: number;
  unit_amount_decimal: string;
}

/** Prices replaced plans; subscription items still carry the plan view of their price. */
export interface PlanObject extends Live {
  object: 'plan';
  active: boolean;
  amount: number;
  amount_decimal: string;
  billing_scheme: 'per_unit';
  currency: string;
  interval: Interval;
  interval_count: number;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  usage_type: 'licensed';
}

export interface SubscriptionItemObject {
  id: string;
  object: 'subscription_item';
  created: number;
  current_period_end: number;
  current_period_start: number;
  discounts: Json[];
  metadata: Metadata;
  plan: PlanObject;
  price: PriceObject;
  quantity: number;
  subscription: string;
  tax_rates: Json[];
}

export const CANCELLATION_FEEDBACK = [
  'customer_service',
  'low_quality',
  'missing_features',
  'other',
  'switched_service',
  'too_complex',
  'too_expensive',
  'unused',
] as const;

export interface CancellationDetails {
  comment: string | null;
  feedback: (typeof CANCELLATION_FEEDBACK)[number] | null;
  reason: 'cancellation_requested' | 'payment_failed' | null;
}

export interface SubscriptionObject extends Live, Nulls<'application' | 'days_until_due' | 'pending_setup_intent' | 'pending_update'> {
  object: 'subscription';
  automatic_tax: Json;
  billing_cycle_anchor: number;
  billing_mode: Json;
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  cancellation_details: CancellationDetails;
  collection_method: 'charge_automatically';
  currency: string;
  customer: string;
  default_payment_method: string | null;
  description: string | null;
  discounts: Json[];
  ended_at: number | null;
  invoice_settings: Json;
  items: ListObject<SubscriptionItemObject> & { total_count: number };
  latest_invoice: string | null;
  metadata: Metadata;
  payment_settings: Nulls<'payment_method_options' | 'payment_method_types'> & {
    save_default_payment_method: 'off' | 'on_subscription';
  };
  start_date: number;
  status: 'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid';
  test_clock: string | null;
  trial_end: number | null;
  trial_settings: Json;
  trial_start: number | null;
}

export interface InvoiceLineObject {
  id: string;
  object: 'line_item';
  amount: number;
  currency: string;
  description: string;
  discountable: boolean;
  discounts: Json[];
  invoice: string;
  livemode: boolean;
  metadata: Metadata;
  parent: Json;
  period: { end: number; start: number };
  pricing: Json;
  quantity: number;
  subscription: string;
}

export interface InvoicePaymentObject {
  id: string;
  object: 'invoice_payment';
  amount_paid: number | null;
  amount_requested: number;
  created: number;
  currency: string;
  invoice: string;
  is_default: boolean;
  livemode: boolean;
  payment: { payment_intent: string; type: 'payment_intent' };
  status: 'open' | 'paid';
  status_transitions: { canceled_at: null; paid_at: number | null };
}

export interface InvoiceObject
  extends
    Live,
    Nulls<'default_payment_method' | 'description' | 'due_date' | 'hosted_invoice_url' | 'invoice_pdf' | 'webhooks_delivered_at'> {
  object: 'invoice';
  account_country: string;
  account_name: string;
  amount_due: number;
  amount_overpaid: number;
  amount_paid: number;
  amount_remaining: number;
  amount_shipping: number;
  attempt_count: number;
  attempted: boolean;
  auto_advance: boolean;
  automatic_tax: Json;
  billing_reason: 'subscription_create' | 'subscription_cycle';
  collection_method: 'charge_automatically';
  confirmation_secret: { client_secret: string; type: 'payment_intent' } | null;
  currency: string;
  customer: string;
  customer_email: string | null;
  customer_name: string | null;
  discounts: Json[];
  ending_balance: number;
  issuer: Json;
  lines: ListObject<InvoiceLineObject>;
  metadata: Metadata;
  next_payment_attempt: number | null;
  number: string;
  parent: Json;
  /** Its PaymentIntent: dropped from the object in newer API versions (see `payments`), kept for the emulator. */
  payment_intent: string | null;
  payments: ListObject<InvoicePaymentObject>;
  period_end: number;
  period_start: number;
  starting_balance: number;
  status: 'draft' | 'open' | 'paid';
  status_transitions: Nulls<'marked_uncollectible_at' | 'voided_at'> & { finalized_at: number | null; paid_at: number | null };
  subscription: string;
  subtotal: number;
  total: number;
}
