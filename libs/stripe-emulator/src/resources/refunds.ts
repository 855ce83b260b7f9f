import { Emulator } from '../core/emulator';
import { StripeApiError, invalid } from '../core/errors';
import { newId } from '../core/ids';
import { matchesCreated, paginate } from '../core/list';
import { Params, int, mergeMetadata, oneOf } from '../core/params';
import { RequestInfo, Router } from '../core/router';
import type { ChargeObject, RefundObject } from '../core/objects';
import { update } from '../core/store';
import { testCardOf } from './payment-methods';
import { formatAmount } from './test-cards';

function findCharge(em: Emulator, params: Params): ChargeObject {
  if (params.charge) return em.store.find(params.charge, 'charge', 'charge');
  if (!params.payment_intent) {
    throw new StripeApiError(400, 'One of the following params should be provided for this request: payment_intent or charge.', {
      code: 'parameter_missing',
      preExecution: true,
    });
  }
  const pi = em.store.find(params.payment_intent, 'payment_intent', 'payment_intent');
  if (pi.status !== 'succeeded' || !pi.latest_charge) {
    throw invalid(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'charge_not_refundable', 'payment_intent');
  }
  return em.store.find(pi.latest_charge, 'charge');
}

/** Moves a pending refund to its final state, as Stripe does some time after creating it. */
export function settleRefund(em: Emulator, refund: RefundObject): RefundObject {
  const meta = em.store.meta(refund.id);
  em.cancelFor(refund.id);
  if (refund.status !== 'pending') return refund;
  const charge = em.store.find(refund.charge, 'charge');
  const before = structuredClone(refund);
  if (meta.willFail) {
    update(refund, {
      status: 'failed',
      failure_reason: 'expired_or_canceled_card',
      failure_balance_transaction: newId('txn'),
    });
    charge.amount_refunded -= refund.amount;
    charge.refunded = charge.amount_refunded >= charge.amount_captured;
    em.emitUpdate('refund.updated', before, refund, null);
    em.emit('refund.failed', refund, null);
  } else {
    refund.status = 'succeeded';
    em.emitUpdate('refund.updated', before, refund, null);
  }
  em.emit('charge.refund.updated', refund, null);
  return refund;
}

function createRefund(em: Emulator, params: Params, req: RequestInfo): RefundObject {
  const charge = findCharge(em, params);
  const remaining = charge.amount_captured - charge.amount_refunded;
  if (remaining <= 0) {
    throw invalid(`Charge ${charge.id} has already been refunded.`, 'charge_already_refunded');
  }
  const amount = int(params, 'amount') ?? remaining;
  if (amount < 1) throw invalid('This value must be greater than or equal to 1.', 'amount_too_small', 'amount');
  if (amount > remaining) {
    throw invalid(
      `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
      'amount_too_large',
      'amount',
    );
  }
  const outcome = testCardOf(em, em.store.find(charge.payment_method, 'payment_method')).outcome.kind;
  const pending = outcome === 'refund_fail' || outcome === 'refund_pending';
  const refund = em.store.put<RefundObject>({
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: newId('txn'),
    charge: charge.id,
    created: em.nowSec(),
    currency: charge.currency,
    destination_details: {
      card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
      type: 'card',
    },
    metadata: mergeMetadata({}, params.metadata),
    payment_intent: charge.payment_intent,
    reason: oneOf(params, 'reason', ['duplicate', 'fraudulent', 'requested_by_customer'] as const) ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: pending ? 'pending' : 'succeeded',
    transfer_reversal: null,
  });
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount_captured;
  em.emit('refund.created', refund, req);
  em.emit('charge.refunded', charge, req, { amount_refunded: charge.amount_refunded - amount, refunded: false });
  if (pending) {
    const meta = em.store.meta(refund.id);
    meta.willFail = outcome === 'refund_fail';
    em.scheduleFor(refund.id, () => settleRefund(em, refund), em.opts.asyncDelayMs);
  }
  return refund;
}

export function registerRefunds(router: Router, em: Emulator): void {
  router.add('POST', '/v1/refunds', ({ params, req }) => {
    return createRefund(em, params, req);
  });

  router.add('GET', '/v1/refunds/:id', ({ path }) => {
    return em.store.find(path.id, 'refund', 'refund');
  });

  router.add('POST', '/v1/refunds/:id', ({ path, params, req }) => {
    const refund = em.store.find(path.id, 'refund', 'refund');
    const before = structuredClone(refund);
    refund.metadata = mergeMetadata(refund.metadata, params.metadata);
    em.emitUpdate('refund.updated', before, refund, req);
    return refund;
  });

  router.add('POST', '/v1/refunds/:id/cancel', ({ path }) => {
    const refund = em.store.find(path.id, 'refund', 'refund');
    throw invalid(`Refund ${refund.id} cannot be canceled: only refunds with status requires_action can be canceled.`);
  });

  router.add('GET', '/v1/refunds', ({ params }) => {
    const items = em.store.list(
      'refund',
      (r) =>
        (!params.payment_intent || r.payment_intent === params.payment_intent) &&
        (!params.charge || r.charge === params.charge) &&
        matchesCreated(r.created, params.created),
    );
    return paginate(items, params, '/v1/refunds');
  });
}
