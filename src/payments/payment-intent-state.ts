import type Stripe from 'stripe';
import type { PaymentEntity } from './payment.entity';
import { callerMetadata } from '../common/stripe/stripe-metadata';

/** Statuses a PaymentIntent never leaves. */
export const FINAL_PAYMENT_STATUSES = ['succeeded', 'canceled'];
export const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
// Stripe also cancels some `processing` intents (certain payment methods); cards do not get there.
export const CANCELABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture'];

export type PaymentState = Pick<
  PaymentEntity,
  | 'stripePaymentIntentId'
  | 'amount'
  | 'amountCapturable'
  | 'amountReceived'
  | 'currency'
  | 'status'
  | 'captureMethod'
  | 'clientSecret'
  | 'nextAction'
  | 'lastPaymentError'
  | 'description'
  | 'receiptEmail'
  | 'metadata'
>;

/** What a Stripe PaymentIntent says about a payment, as entity fields. */
export function paymentState(intent: Stripe.PaymentIntent): PaymentState {
  const error = intent.last_payment_error;
  return {
    stripePaymentIntentId: intent.id,
    amount: intent.amount,
    amountCapturable: intent.amount_capturable ?? 0,
    amountReceived: intent.amount_received ?? 0,
    currency: intent.currency,
    status: intent.status as PaymentState['status'], // verbatim, even a status newer than this code
    captureMethod: intent.capture_method === 'manual' ? 'manual' : 'automatic',
    clientSecret: intent.client_secret ?? null,
    nextAction: (intent.next_action as unknown as Record<string, unknown>) ?? null,
    lastPaymentError: error
      ? {
          code: error.code ?? null,
          declineCode: error.decline_code ?? null,
          message: error.message ?? null,
          paymentMethod: error.payment_method?.id ?? null,
        }
      : null,
    description: intent.description ?? null,
    receiptEmail: intent.receipt_email ?? null,
    metadata: callerMetadata(intent.metadata),
  };
}

/** Entity field -> column, in SQL parameter order (stripe_payment_intent_id first, status sixth). */
export const PAYMENT_STATE_COLUMNS: ReadonlyArray<readonly [keyof PaymentState, string]> = [
  ['stripePaymentIntentId', 'stripe_payment_intent_id'],
  ['amount', 'amount'],
  ['amountCapturable', 'amount_capturable'],
  ['amountReceived', 'amount_received'],
  ['currency', 'currency'],
  ['status', 'status'],
  ['captureMethod', 'capture_method'],
  ['clientSecret', 'client_secret'],
  ['nextAction', 'next_action'],
  ['lastPaymentError', 'last_payment_error'],
  ['description', 'description'],
  ['receiptEmail', 'receipt_email'],
  ['metadata', 'metadata'],
];
