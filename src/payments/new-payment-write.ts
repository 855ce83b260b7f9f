import type Stripe from 'stripe';
import type { DataSource } from 'typeorm';
import { retryWhenVictim } from '../common/database/transaction-retry';
import { operationContext, responseText } from '../common/idempotency/operation-context';
import { storableText } from '../common/mirror/mirror-text';
import { preparedQuery } from '../database/prepared-query';
import { jsonbOrdered } from '../database/jsonb-order';
import { toDomainEvents } from '../events/domain-event';
import { toPaymentResponse } from './dto/payment.response';
import { PaymentEntity } from './payment.entity';
import { paymentState } from './payment-intent-state';
import { paymentEvents } from './payment.mirror';

// One statement, so one round trip and one commit where the mirror's create takes five (BEGIN, row, events,
// idempotency record, COMMIT): the row, its domain events and the request's idempotency record commit together
// or not at all, as there. Events and record are written only if the row was (ON CONFLICT: nothing at all).
const SQL = `WITH payment AS (
  INSERT INTO payments (id, customer_id, stripe_payment_intent_id, amount, amount_capturable, amount_received, currency, status,
    capture_method, client_secret, next_action, last_payment_error, description, receipt_email, metadata, stripe_synced_at, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $14, $15::jsonb, $16, $17, $17)
  ON CONFLICT DO NOTHING
  RETURNING id
), events AS (
  INSERT INTO domain_events (id, type, object_type, object_id, payload, created_at)
  SELECT e.event->>'id', e.event->>'type', 'payment', payment.id::text, e.event, $17
    FROM payment, jsonb_array_elements($18::jsonb) WITH ORDINALITY AS e(event, n)
   ORDER BY e.n
), operation AS (
  UPDATE idempotency_keys SET status = 'completed', locked_until = NULL, response_status = $20, response_text = $21
   WHERE id = $19 AND status = 'in_progress' AND EXISTS (SELECT 1 FROM payment)
)
SELECT id FROM payment`;

const json = (value: unknown) => (value === null ? null : JSON.stringify(value));

/**
 * The row of a payment Stripe just created for us, written with its domain events (payment.created, and
 * the status reached if it was confirmed at once) and the completion of the request's idempotency record
 * in one statement. The row, the events' copy of it and the stored answer are computed here, before the
 * write, from exactly the values written (timestamps included, jsonb in its stored key order), so they
 * equal what a read of the row gives. undefined: a row with this id or PaymentIntent exists already (a
 * retry, or a webhook adopted the intent first); the caller then applies the answer to it instead.
 */
export async function writeNewPayment(
  db: DataSource,
  id: string,
  customerId: string | null,
  intent: Stripe.PaymentIntent,
  answeredAt: number,
): Promise<PaymentEntity | undefined> {
  const state = storableText(paymentState(intent));
  const now = new Date();
  const payment = Object.assign(new PaymentEntity(), {
    ...state,
    id,
    customerId,
    amountRefunded: 0,
    nextAction: jsonbOrdered(state.nextAction),
    lastPaymentError: jsonbOrdered(state.lastPaymentError),
    metadata: jsonbOrdered(state.metadata),
    stripeEventCreated: null,
    stripeSyncedAt: answeredAt,
    createdAt: now,
    updatedAt: now,
  });
  const response = toPaymentResponse(payment);
  const events = toDomainEvents(
    paymentEvents(null, payment).map((spec) => ({ type: spec.type, objectType: 'payment', objectId: id, object: response, previous: spec.previous })),
    now,
  );
  const operation = operationContext.getStore();
  const completes = operation && !operation.completed ? operation : undefined;
  const written = await retryWhenVictim(() =>
    preparedQuery(db, 'payments_create', SQL, [
      id,
      customerId,
      payment.stripePaymentIntentId,
      payment.amount,
      payment.amountCapturable,
      payment.amountReceived,
      payment.currency,
      payment.status,
      payment.captureMethod,
      payment.clientSecret,
      json(payment.nextAction),
      json(payment.lastPaymentError),
      payment.description,
      payment.receiptEmail,
      json(payment.metadata),
      answeredAt,
      now,
      JSON.stringify(events),
      completes?.operationId ?? null,
      completes?.successStatus ?? null,
      completes ? responseText(response) : null,
    ]),
  );
  if (!written.length) return undefined;
  if (completes) completes.completed = true;
  return payment;
}
