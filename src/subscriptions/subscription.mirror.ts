import type Stripe from 'stripe';
import type { MirrorDeclaration, MirrorEventSpec } from '../common/mirror/mirror-declaration';
import { toSubscriptionResponse } from './dto/subscription.response';
import { SUBSCRIPTION_STATUSES, SubscriptionEntity } from './subscription.entity';
import { FINAL_SUBSCRIPTION_STATUSES, subscriptionState } from './subscription-state';

// The confirmation secret replaced `latest_invoice.payment_intent` (API 2025-03-31); both are includable, so expanded.
export const SUBSCRIPTION_EXPAND = ['latest_invoice.confirmation_secret', 'latest_invoice.payments'];

/** subscription.created; subscription.canceled; subscription.updated for another status or a new period. */
export function subscriptionEvents(previous: SubscriptionEntity | null, next: SubscriptionEntity): MirrorEventSpec[] {
  if (!previous) return [{ type: 'subscription.created' }];
  const prior = { status: previous.status };
  if (previous.status !== next.status)
    return [{ type: next.status === 'canceled' ? 'subscription.canceled' : 'subscription.updated', previous: prior }];
  const periodMoved = (previous.currentPeriodEnd?.getTime() ?? null) !== (next.currentPeriodEnd?.getTime() ?? null);
  return periodMoved ? [{ type: 'subscription.updated', previous: prior }] : [];
}

/**
 * How a Stripe Subscription is mirrored into `subscriptions`. The latest_invoice_* columns belong to
 * invoices (SubscriptionsService.applyInvoice): an unexpanded latest_invoice only names the invoice when
 * none is known yet.
 */
export function subscriptionMirror(stripe: Stripe): MirrorDeclaration<Stripe.Subscription, SubscriptionEntity> {
  return {
    entity: SubscriptionEntity,
    table: 'subscriptions',
    objectType: 'subscription',
    stripeIdColumn: 'stripe_subscription_id',
    state: subscriptionState,
    jsonColumns: ['metadata'],
    keepWhenSet: ['latest_invoice_id'],
    statusOrder: SUBSCRIPTION_STATUSES,
    finalStatuses: FINAL_SUBSCRIPTION_STATUSES,
    adopt: async (sub, m) => {
      const customer = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
      const [row]: Array<{ id: string }> = await m.query(`SELECT id FROM customers WHERE stripe_customer_id = $1`, [customer]);
      return row ? { customer_id: row.id } : null;
    },
    retrieve: (id) => stripe.subscriptions.retrieve(id, { expand: SUBSCRIPTION_EXPAND }),
    response: toSubscriptionResponse,
    events: subscriptionEvents,
  };
}
