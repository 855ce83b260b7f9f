import { Emulator } from '../core/emulator';
import { StripeApiError, invalid } from '../core/errors';
import { newId, randomToken } from '../core/ids';
import { matchesCreated, paginate } from '../core/list';
import { Params, bool, hash, int, mergeMetadata, oneOf, str, stringList } from '../core/params';
import { RequestInfo, Router } from '../core/router';
import type { PaymentIntentObject } from '../core/objects';
import { update } from '../core/store';
import { findForCall } from '../core/client-secret';
import { confirmIntent } from './payment-flow';
import { resolvePaymentMethod } from './payment-methods';
import { validateAmount, validateCurrency } from './amounts';
import { formatAmount } from './test-cards';

const CAPTURE_METHODS = ['automatic', 'automatic_async', 'manual'] as const;
const CANCELABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture', 'processing'];
const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

export function createIntent(em: Emulator, fields: Partial<PaymentIntentObject>): PaymentIntentObject {
  const id = newId('pi');
  return em.store.put<PaymentIntentObject>({
    id,
    object: 'payment_intent',
    amount: 0,
    allowed_payment_method_types: null,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: `${id}_secret_${randomToken(25)}`,
    confirmation_method: 'automatic',
    created: em.nowSec(),
    currency: 'usd',
    customer: null,
    description: null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
    ...fields,
  });
}

function applyCommon(em: Emulator, pi: PaymentIntentObject, params: Params, req: RequestInfo): void {
  if (params.currency !== undefined) pi.currency = validateCurrency(params);
  if (params.amount !== undefined) pi.amount = validateAmount(params, pi.currency);
  if (params.customer !== undefined) pi.customer = params.customer ? em.store.find(params.customer, 'customer', 'customer').id : null;
  if (params.payment_method) {
    pi.payment_method = resolvePaymentMethod(em, params.payment_method, req).id;
    if (pi.status === 'requires_payment_method') pi.status = 'requires_confirmation';
  }
  for (const field of ['description', 'receipt_email', 'statement_descriptor', 'statement_descriptor_suffix', 'transfer_group'] as const) {
    const value = str(params, field);
    if (value !== undefined) pi[field] = value;
  }
  const sfu = oneOf(params, 'setup_future_usage', ['on_session', 'off_session']);
  if (sfu) pi.setup_future_usage = sfu;
  const capture = oneOf(params, 'capture_method', CAPTURE_METHODS);
  if (capture) pi.capture_method = capture;
  applyMethodTypes(pi, params);
  pi.metadata = mergeMetadata(pi.metadata, params.metadata);
}

/** The pinned version replaced payment_method_types with these two lists (the emulator only runs cards). */
function applyMethodTypes(pi: PaymentIntentObject, params: Params): void {
  for (const field of ['allowed_payment_method_types', 'excluded_payment_method_types'] as const) {
    if (params[field] !== undefined) pi[field] = params[field] === '' ? null : stringList(params[field]);
  }
}

function confirm(em: Emulator, pi: PaymentIntentObject, params: Params, req: RequestInfo): PaymentIntentObject {
  if (!CONFIRMABLE.includes(pi.status)) {
    throw new StripeApiError(400, `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`, {
      code: 'payment_intent_unexpected_state',
      paymentIntent: structuredClone(pi),
    });
  }
  const pmId = params.payment_method || pi.payment_method;
  if (!pmId) {
    throw new StripeApiError(
      400,
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
      { code: 'payment_intent_unexpected_state', paymentIntent: structuredClone(pi) },
    );
  }
  const pm = resolvePaymentMethod(em, pmId, req);
  applyMethodTypes(pi, params);
  const receiptEmail = str(params, 'receipt_email');
  if (receiptEmail) pi.receipt_email = receiptEmail;
  const sfu = oneOf(params, 'setup_future_usage', ['on_session', 'off_session']);
  if (sfu) pi.setup_future_usage = sfu;
  confirmIntent(em, pi, pm, req, { offSession: bool(params, 'off_session'), returnUrl: str(params, 'return_url') });
  return pi;
}

export function registerPaymentIntents(router: Router, em: Emulator): void {
  router.add('POST', '/v1/payment_intents', ({ params, req }) => {
    const currency = validateCurrency(params);
    validateAmount(params, currency);
    const pi = createIntent(em, {});
    applyCommon(em, pi, params, req);
    const automatic = hash(params, 'automatic_payment_methods');
    if (automatic?.enabled === 'true') {
      pi.automatic_payment_methods = {
        allow_redirects: oneOf(automatic, 'allow_redirects', ['always', 'never']) ?? 'always',
        enabled: true,
      };
    }
    em.emit('payment_intent.created', pi, req);
    if (bool(params, 'confirm')) confirm(em, pi, params, req);
    return pi;
  });

  router.add(
    'GET',
    '/v1/payment_intents/:id',
    (call) => {
      const pi = findForCall(em, call, 'payment_intent');
      return pi;
    },
    { publishable: true },
  );

  router.add('POST', '/v1/payment_intents/:id', ({ path, params, req }) => {
    const pi = em.store.find(path.id, 'payment_intent', 'intent');
    const onlyAnnotations = Object.keys(params).every((k) =>
      ['metadata', 'description', 'receipt_email', 'shipping', 'expand'].includes(k),
    );
    if (!CONFIRMABLE.includes(pi.status) && !onlyAnnotations) {
      throw new StripeApiError(400, `You cannot update this PaymentIntent because it has a status of ${pi.status}.`, {
        code: 'payment_intent_unexpected_state',
      });
    }
    applyCommon(em, pi, params, req);
    return pi;
  });

  router.add(
    'POST',
    '/v1/payment_intents/:id/confirm',
    (call) => {
      const pi = findForCall(em, call, 'payment_intent');
      return confirm(em, pi, call.params, call.req);
    },
    { publishable: true },
  );

  router.add('POST', '/v1/payment_intents/:id/capture', ({ path, params, req }) => {
    const pi = em.store.find(path.id, 'payment_intent', 'intent');
    if (pi.status !== 'requires_capture') {
      throw new StripeApiError(
        400,
        `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
        { code: 'payment_intent_unexpected_state', paymentIntent: structuredClone(pi) },
      );
    }
    const amount = int(params, 'amount_to_capture') ?? pi.amount_capturable;
    if (amount > pi.amount_capturable) {
      throw invalid(
        `The amount_to_capture (${formatAmount(amount, pi.currency)}) is greater than the amount_capturable (${formatAmount(pi.amount_capturable, pi.currency)}).`,
        'amount_too_large',
        'amount_to_capture',
      );
    }
    if (amount < 1) throw invalid('This value must be greater than or equal to 1.', 'amount_too_small', 'amount_to_capture');
    const charge = em.store.find(pi.latest_charge, 'charge');
    update(charge, { captured: true, amount_captured: amount });
    pi.metadata = mergeMetadata(pi.metadata, params.metadata);
    update(pi, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
    em.emit('charge.captured', charge, req);
    em.emit('payment_intent.succeeded', pi, req);
    em.intentChanged(pi, req);
    return pi;
  });

  router.add('POST', '/v1/payment_intents/:id/cancel', ({ path, params, req }) => {
    const pi = em.store.find(path.id, 'payment_intent', 'intent');
    const reason = oneOf(params, 'cancellation_reason', ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']);
    if (!CANCELABLE.includes(pi.status)) {
      throw new StripeApiError(
        400,
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
        { code: 'payment_intent_unexpected_state', paymentIntent: structuredClone(pi) },
      );
    }
    if (pi.status === 'requires_capture') {
      // The held funds are released: Stripe shows this as a full refund of the uncaptured charge.
      const charge = em.store.find(pi.latest_charge, 'charge');
      update(charge, { amount_refunded: charge.amount, refunded: true });
      em.emit('charge.refunded', charge, req);
    }
    update(pi, {
      status: 'canceled',
      canceled_at: em.nowSec(),
      cancellation_reason: reason ?? null,
      amount_capturable: 0,
      next_action: null,
    });
    em.emit('payment_intent.canceled', pi, req);
    em.intentChanged(pi, req);
    return pi;
  });

  router.add('GET', '/v1/payment_intents', ({ params }) => {
    const items = em.store.list(
      'payment_intent',
      (pi) => (!params.customer || pi.customer === params.customer) && matchesCreated(pi.created, params.created),
    );
    return paginate(items, params, '/v1/payment_intents');
  });
}
