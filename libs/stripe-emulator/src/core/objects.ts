/**
 * The objects the emulator stores, as it stores them: references to other objects are always ids (`expand`
 * swaps in the objects on the way out) and a few fields the pinned API version dropped are kept for the
 * emulator's own use (`shapes.ts` removes them from every answer). Fields the emulator never sets are typed
 * `null`; nested values it writes once and never reads back are plain JSON.
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type Metadata = Record<string, string>;
/** Fields the emulator never sets (Connect, tax, shipping...): always null in its answers. */
export type Nulls<K extends string> = { [P in K]: null };

export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/** What every stored top-level object has. */
export interface Live {
  id: string;
  /** Only a deletion's tombstone ({@link DeletedObject}) says deleted. */
  deleted?: undefined;
  created: number;
  livemode: boolean;
}

export interface Address {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
}

export interface BillingDetails {
  address: Address;
  email: string | null;
  name: string | null;
  phone: string | null;
  tax_id: string | null;
}

export interface CustomerObject extends Live, Nulls<'address' | 'currency' | 'default_source' | 'discount' | 'shipping'> {
  object: 'customer';
  balance: number;
  delinquent: boolean;
  description: string | null;
  email: string | null;
  invoice_prefix: string;
  invoice_settings: Nulls<'custom_fields' | 'footer' | 'rendering_options'> & { default_payment_method: string | null };
  metadata: Metadata;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[];
  tax_exempt: 'none';
  test_clock: string | null;
}

export interface CardChecks {
  address_line1_check: null;
  address_postal_code_check: null;
  cvc_check: 'pass';
}

export interface PaymentMethodObject extends Live {
  object: 'payment_method';
  allow_redisplay: 'always' | 'limited' | 'unspecified';
  billing_details: BillingDetails;
  card: Nulls<'generated_from' | 'wallet'> & {
    brand: string;
    checks: CardChecks;
    country: string;
    display_brand: string;
    exp_month: number;
    exp_year: number;
    fingerprint: string;
    funding: 'credit';
    last4: string;
    networks: { available: string[]; preferred: null };
    regulated_status: 'unregulated';
    three_d_secure_usage: { supported: boolean };
  };
  customer: string | null;
  metadata: Metadata;
  type: 'card';
}

/** A 3-D Secure challenge: the customer is sent to the emulated bank page. */
export interface NextAction {
  type: 'redirect_to_url';
  redirect_to_url: { url: string; return_url: string | null };
}

export interface AutomaticPaymentMethods {
  allow_redirects: 'always' | 'never';
  enabled: boolean;
}

/** `last_payment_error` / `last_setup_error`. */
export interface IntentError {
  charge?: string;
  code: string;
  decline_code?: string;
  doc_url: string;
  message: string;
  payment_method: PaymentMethodObject;
  type: 'card_error' | 'invalid_request_error';
}

export interface PaymentIntentObject
  extends
    Live,
    Nulls<
      | 'application'
      | 'application_fee_amount'
      | 'on_behalf_of'
      | 'payment_method_configuration_details'
      | 'processing'
      | 'review'
      | 'shipping'
      | 'source'
      | 'transfer_data'
    > {
  object: 'payment_intent';
  amount: number;
  allowed_payment_method_types: string[] | null;
  amount_capturable: number;
  amount_details: Json;
  amount_received: number;
  automatic_payment_methods: AutomaticPaymentMethods | null;
  canceled_at: number | null;
  cancellation_reason: 'duplicate' | 'fraudulent' | 'requested_by_customer' | 'abandoned' | null;
  capture_method: 'automatic' | 'automatic_async' | 'manual';
  client_secret: string;
  confirmation_method: 'automatic';
  currency: string;
  customer: string | null;
  description: string | null;
  excluded_payment_method_types: string[] | null;
  last_payment_error: IntentError | null;
  latest_charge: string | null;
  metadata: Metadata;
  next_action: NextAction | null;
  payment_method: string | null;
  payment_method_options: Json;
  receipt_email: string | null;
  setup_future_usage: 'on_session' | 'off_session' | null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  status:
    'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'canceled' | 'succeeded';
  transfer_group: string | null;
  /** The invoice it pays: dropped from the object in newer API versions, still what most integrations read. */
  invoice?: string;
}

export interface SetupIntentObject
  extends
    Live,
    Nulls<
      | 'application'
      | 'flow_directions'
      | 'latest_attempt'
      | 'mandate'
      | 'on_behalf_of'
      | 'payment_method_configuration_details'
      | 'single_use_mandate'
    > {
  object: 'setup_intent';
  automatic_payment_methods: AutomaticPaymentMethods | null;
  cancellation_reason: 'abandoned' | 'requested_by_customer' | 'duplicate' | null;
  client_secret: string;
  customer: string | null;
  description: string | null;
  last_setup_error: IntentError | null;
  metadata: Metadata;
  next_action: NextAction | null;
  payment_method: string | null;
  payment_method_options: Json;
  payment_method_types: string[];
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'canceled' | 'succeeded';
  usage: 'off_session' | 'on_session';
}

export interface ChargeObject
  extends
    Live,
    Nulls<
      | 'application'
      | 'application_fee'
      | 'application_fee_amount'
      | 'failure_balance_transaction'
      | 'on_behalf_of'
      | 'receipt_number'
      | 'review'
      | 'shipping'
      | 'source_transfer'
      | 'statement_descriptor'
      | 'statement_descriptor_suffix'
      | 'transfer_data'
      | 'transfer_group'
    > {
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  balance_transaction: string | null;
  billing_details: BillingDetails;
  calculated_statement_descriptor: string;
  captured: boolean;
  currency: string;
  customer: string | null;
  description: string | null;
  disputed: boolean;
  failure_code: string | null;
  failure_message: string | null;
  fraud_details: Json;
  metadata: Metadata;
  outcome: {
    network_status: 'approved_by_network' | 'declined_by_network' | 'not_sent_to_network';
    reason: string | null;
    risk_level: 'normal' | 'highest';
    risk_score: number;
    seller_message: string;
    type: 'authorized' | 'issuer_declined' | 'blocked';
  };
  paid: boolean;
  payment_intent: string;
  payment_method: string;
  payment_method_details: {
    card: Nulls<'three_d_secure' | 'wallet'> & {
      amount_authorized: number | null;
      brand: string;
      checks: CardChecks;
      country: string;
      exp_month: number;
      exp_year: number;
      fingerprint: string;
      funding: string;
      last4: string;
      network: string;
    };
    type: 'card';
  };
  receipt_email: string | null;
  receipt_url: string | null;
  refunded: boolean;
  status: 'succeeded' | 'failed';
}

export interface RefundObject extends Omit<Live, 'livemode'>, Nulls<'receipt_number' | 'source_transfer_reversal' | 'transfer_reversal'> {
  object: 'refund';
  amount: number;
  balance_transaction: string;
  charge: string;
  currency: string;
  destination_details: Json;
  metadata: Metadata;
  payment_intent: string;
  reason: 'duplicate' | 'fraudulent' | 'requested_by_customer' | null;
  status: 'pending' | 'succeeded' | 'failed';
  /** Set when a pending refund fails. */
  failure_reason?: 'expired_or_canceled_card';
  failure_balance_transaction?: string;
}

export interface EventObject extends Live {
  object: 'event';
  api_version: string;
  /** `object` is the object's JSON as the event type declares it, frozen when the event happened. */
  data: { object: unknown; previous_attributes?: Record<string, unknown> };
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface WebhookEndpointObject extends Live {
  object: 'webhook_endpoint';
  api_version: string;
  application: null;
  description: string | null;
  enabled_events: string[];
  metadata: Metadata;
  status: 'enabled' | 'disabled';
  url: string;
}

export interface TestClockObject extends Live {
  object: 'test_helpers.test_clock';
  deletes_after: number;
  frozen_time: number;
  name: string | null;
  status: 'ready' | 'advancing' | 'internal_failure';
  status_details: { advancing?: { target_frozen_time: number } };
}
