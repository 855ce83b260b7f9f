import type Stripe from 'stripe';
import type { MirrorDeclaration, MirrorEventSpec } from '../common/mirror/mirror-declaration';
import { canonicalJson } from '../common/idempotency/canonical-json';
import { toPaymentResponse } from './dto/payment.response';
import { PaymentEntity, PAYMENT_STATUSES } from './payment.entity';
import { FINAL_PAYMENT_STATUSES, PAYMENT_STATE_COLUMNS, paymentState } from './payment-intent-state';

const STATUS_EVENTS: Record<string, string> = {
  requires_action: 'payment.requires_action',
  requires_capture: 'payment.requires_capture',
  succeeded: 'payment.succeeded',
  canceled: 'payment.canceled',
};

/** payment.created for a new row; one event per status reached; payment.failed when a decline or failed authentication is recorded. */
export function paymentEvents(previous: PaymentEntity | null, next: PaymentEntity): MirrorEventSpec[] {
  const events: MirrorEventSpec[] = previous ? [] : [{ type: 'payment.created' }];
  const prior = previous ? { status: previous.status } : null;
  const moved = previous?.status !== next.status;
  if (moved && STATUS_EVENTS[next.status]) events.push({ type: STATUS_EVENTS[next.status], previous: prior });
  const newError = next.lastPaymentError && canonicalJson(next.lastPaymentError) !== canonicalJson(previous?.lastPaymentError ?? null);
  if (next.status === 'requires_payment_method' && newError) events.push({ type: 'payment.failed', previous: prior });
  return events;
}

/** How a PaymentIntent is mirrored into `payments` (amount_refunded is owned by refunds, never written here). */
export function paymentMirror(stripe: Stripe): MirrorDeclaration<Stripe.PaymentIntent, PaymentEntity> {
  return {
    entity: PaymentEntity,
    table: 'payments',
    objectType: 'payment',
    stripeIdColumn: 'stripe_payment_intent_id',
    state: (intent) => {
      const state = paymentState(intent);
      return Object.fromEntries(PAYMENT_STATE_COLUMNS.map(([property, column]) => [column, state[property]]));
    },
    jsonColumns: ['next_action', 'last_payment_error', 'metadata'],
    keepWhenNull: ['client_secret'],
    statusOrder: PAYMENT_STATUSES,
    finalStatuses: FINAL_PAYMENT_STATUSES,
    adopt: async (intent, m) => {
      const customer = typeof intent.customer === 'string' ? intent.customer : (intent.customer?.id ?? null);
      if (!customer) return { customer_id: null };
      const [row]: Array<{ id: string }> = await m.query(`SELECT id FROM customers WHERE stripe_customer_id = $1`, [customer]);
      return { customer_id: row?.id ?? null };
    },
    retrieve: (id) => stripe.paymentIntents.retrieve(id),
    response: toPaymentResponse,
    events: paymentEvents,
  };
}
