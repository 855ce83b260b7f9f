import type Stripe from 'stripe';
import type { MirrorDeclaration, MirrorEventSpec } from '../common/mirror/mirror-declaration';
import { CardSummary, PaymentMethodEntity } from './payment-method.entity';
import { toPaymentMethodEvent } from './dto/payment-method.response';

function cardSummary(pm: Stripe.PaymentMethod): CardSummary | null {
  const card = pm.card;
  if (!card) return null;
  return {
    brand: card.brand,
    last4: card.last4,
    expMonth: card.exp_month,
    expYear: card.exp_year,
    funding: card.funding ?? null,
    country: card.country ?? null,
  };
}

const customerOf = (pm: Stripe.PaymentMethod) => (typeof pm.customer === 'string' ? pm.customer : (pm.customer?.id ?? null));

/** payment_method.attached when a card first shows up under one of our customers, payment_method.detached once. */
export function paymentMethodEvents(previous: PaymentMethodEntity | null, next: PaymentMethodEntity): MirrorEventSpec[] {
  if (!previous) return next.detachedAt ? [] : [{ type: 'payment_method.attached' }];
  return !previous.detachedAt && next.detachedAt ? [{ type: 'payment_method.detached' }] : [];
}

/**
 * How a PaymentMethod attached to one of our customers is mirrored into `payment_methods` (keyed by
 * Stripe's id: we never create one, Stripe.js or the dashboard does). Detaching is final at Stripe (a
 * detached PaymentMethod cannot be attached again): the row becomes a tombstone that a late
 * payment_method.attached cannot bring back.
 */
export function paymentMethodMirror(stripe: Stripe): MirrorDeclaration<Stripe.PaymentMethod, PaymentMethodEntity> {
  return {
    entity: PaymentMethodEntity,
    table: 'payment_methods',
    objectType: 'payment_method',
    stripeIdColumn: 'id',
    localIdOf: () => null,
    state: (pm) => ({ type: pm.type, card: cardSummary(pm), detached_at: customerOf(pm) ? null : new Date() }),
    jsonColumns: ['card'],
    keepWhenSet: ['detached_at'],
    statusOf: (values) => (values.detached_at ? 'detached' : 'attached'),
    finalStatuses: ['detached'],
    insertUnknown: async (pm, m) => {
      const customer = customerOf(pm);
      const [row]: Array<{ id: string }> = customer
        ? await m.query(`SELECT id FROM customers WHERE stripe_customer_id = $1`, [customer])
        : [];
      return row ? { customer_id: row.id, created_at: new Date(pm.created * 1000) } : null;
    },
    retrieve: (id) => stripe.paymentMethods.retrieve(id),
    response: toPaymentMethodEvent,
    events: paymentMethodEvents,
  };
}
