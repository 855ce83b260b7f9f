import type Stripe from 'stripe';
import type { MirrorDeclaration, MirrorEventSpec } from '../common/mirror/mirror-declaration';
import { callerMetadata } from '../common/stripe/stripe-metadata';
import { toRefundResponse } from './dto/refund.response';
import { RefundEntity } from './refund.entity';

const OUTCOME_EVENTS: Record<string, string> = { succeeded: 'refund.succeeded', failed: 'refund.failed' };

/**
 * refund.created once Stripe holds the refund (a reservation without a Stripe id is not an event: it may
 * still be released), then one event per outcome reached.
 */
export function refundEvents(previous: RefundEntity | null, next: RefundEntity): MirrorEventSpec[] {
  if (!next.stripeRefundId) return [];
  const known = !!previous?.stripeRefundId;
  const events: MirrorEventSpec[] = known ? [] : [{ type: 'refund.created' }];
  const outcome = OUTCOME_EVENTS[next.status];
  if (outcome && (!known || previous!.status !== next.status)) {
    events.push({ type: outcome, previous: known ? { status: previous!.status } : null });
  }
  return events;
}

/** How a Stripe Refund is mirrored into `refunds`. */
export function refundMirror(stripe: Stripe): MirrorDeclaration<Stripe.Refund, RefundEntity> {
  return {
    entity: RefundEntity,
    table: 'refunds',
    objectType: 'refund',
    stripeIdColumn: 'stripe_refund_id',
    state: (refund) => ({
      stripe_refund_id: refund.id,
      amount: refund.amount,
      status: refund.status,
      reason: refund.reason ?? null,
      failure_reason: refund.failure_reason ?? null,
      metadata: callerMetadata(refund.metadata),
    }),
    jsonColumns: ['metadata'],
    statusOrder: ['pending', 'requires_action', 'succeeded', 'failed', 'canceled'],
    finalStatuses: ['failed', 'canceled'],
    adopt: async (refund, m) => {
      const intent = typeof refund.payment_intent === 'string' ? refund.payment_intent : refund.payment_intent?.id;
      const [payment]: Array<{ id: string }> = intent
        ? await m.query(`SELECT id FROM payments WHERE stripe_payment_intent_id = $1`, [intent])
        : [];
      return payment ? { payment_id: payment.id, currency: refund.currency } : null;
    },
    retrieve: (id) => stripe.refunds.retrieve(id),
    response: toRefundResponse,
    events: refundEvents,
  };
}
