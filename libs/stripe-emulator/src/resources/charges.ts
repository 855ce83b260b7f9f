import { Emulator } from '../core/emulator';
import { newId, randomToken } from '../core/ids';
import { matchesCreated, paginate } from '../core/list';
import { mergeMetadata, str } from '../core/params';
import { Router } from '../core/router';
import type { ChargeObject, PaymentIntentObject, PaymentMethodObject } from '../core/objects';
import { CardOutcome } from './test-cards';

export function createCharge(
  em: Emulator,
  intent: PaymentIntentObject,
  pm: PaymentMethodObject,
  outcome: CardOutcome | { kind: 'authentication_failed' },
  captured: boolean,
): ChargeObject {
  const failed = outcome.kind === 'decline';
  const blocked = outcome.kind === 'decline' && outcome.blocked;
  const charge = em.store.put<ChargeObject>({
    id: newId('ch'),
    object: 'charge',
    amount: intent.amount,
    amount_captured: failed || !captured ? 0 : intent.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: failed ? null : newId('txn'),
    billing_details: pm.billing_details,
    calculated_statement_descriptor: 'EMULATOR',
    captured: !failed && captured,
    created: em.nowSec(),
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: failed ? outcome.code : null,
    failure_message: failed ? outcome.message : null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: {
      network_status: blocked ? 'not_sent_to_network' : failed ? 'declined_by_network' : 'approved_by_network',
      reason: failed ? (blocked ? 'highest_risk_level' : outcome.declineCode) : null,
      risk_level: blocked || (failed && outcome.declineCode === 'fraudulent') ? 'highest' : 'normal',
      risk_score: blocked ? 95 : 20,
      seller_message: failed
        ? blocked
          ? 'Stripe blocked this payment as too risky.'
          : 'The bank did not return any further details with this decline.'
        : 'Payment complete.',
      type: blocked ? 'blocked' : failed ? 'issuer_declined' : 'authorized',
    },
    paid: !failed,
    payment_intent: intent.id,
    payment_method: pm.id,
    payment_method_details: {
      card: {
        amount_authorized: failed ? null : intent.amount,
        brand: pm.card.brand,
        checks: pm.card.checks,
        country: pm.card.country,
        exp_month: pm.card.exp_month,
        exp_year: pm.card.exp_year,
        fingerprint: pm.card.fingerprint,
        funding: pm.card.funding,
        last4: pm.card.last4,
        network: pm.card.brand,
        three_d_secure: null,
        wallet: null,
      },
      type: 'card',
    },
    receipt_email: intent.receipt_email,
    receipt_number: null,
    receipt_url: failed ? null : `https://pay.stripe.com/receipts/payment/${randomToken(40)}`,
    refunded: false,
    review: null,
    shipping: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: failed ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  });
  return charge;
}

export function registerCharges(router: Router, em: Emulator): void {
  router.add('GET', '/v1/charges/:id', ({ path }) => {
    return em.store.find(path.id, 'charge', 'id');
  });

  router.add('POST', '/v1/charges/:id', ({ path, params, req }) => {
    const charge = em.store.find(path.id, 'charge', 'id');
    const before = structuredClone(charge);
    charge.metadata = mergeMetadata(charge.metadata, params.metadata);
    for (const field of ['description', 'receipt_email'] as const) {
      const value = str(params, field);
      if (value !== undefined) charge[field] = value;
    }
    em.emitUpdate('charge.updated', before, charge, req);
    return charge;
  });

  router.add('GET', '/v1/charges', ({ params }) => {
    const items = em.store.list(
      'charge',
      (c) =>
        (!params.payment_intent || c.payment_intent === params.payment_intent) &&
        (!params.customer || c.customer === params.customer) &&
        matchesCreated(c.created, params.created),
    );
    return paginate(items, params, '/v1/charges');
  });
}
