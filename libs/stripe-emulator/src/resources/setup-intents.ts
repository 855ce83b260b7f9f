import { findForCall } from '../core/client-secret';
import { Emulator } from '../core/emulator';
import { StripeApiError, docUrl, invalid } from '../core/errors';
import { newId, randomToken } from '../core/ids';
import { matchesCreated, paginate } from '../core/list';
import { Params, bool, hash, mergeMetadata, oneOf, str } from '../core/params';
import { RequestInfo, Router } from '../core/router';
import type { IntentError, PaymentMethodObject, SetupIntentObject } from '../core/objects';
import { clone, update } from '../core/store';
import { markSetUpOffSession, requireAuthentication } from './payment-flow';
import { attachPaymentMethod, resolvePaymentMethod, testCardOf } from './payment-methods';

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CANCELABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

function applyUpdate(em: Emulator, si: SetupIntentObject, params: Params, req: RequestInfo): void {
  if (params.customer !== undefined) {
    si.customer = params.customer ? em.store.find(params.customer, 'customer', 'customer').id : null;
  }
  if (params.payment_method) {
    si.payment_method = resolvePaymentMethod(em, params.payment_method, req).id;
    if (si.status === 'requires_payment_method') si.status = 'requires_confirmation';
  }
  const description = str(params, 'description');
  if (description !== undefined) si.description = description;
  si.metadata = mergeMetadata(si.metadata, params.metadata);
}

/** Card accepted for future use: attached to the customer and, for off_session, exempt from later 3-D Secure. */
function succeed(em: Emulator, si: SetupIntentObject, pm: PaymentMethodObject, req: RequestInfo | null): void {
  if (si.customer && !pm.customer) attachPaymentMethod(em, pm, si.customer, req);
  if (si.usage === 'off_session') markSetUpOffSession(em, pm);
  update(si, { status: 'succeeded', next_action: null, last_setup_error: null, payment_method: pm.id });
  em.emit('setup_intent.succeeded', si, req);
}

function fail(
  em: Emulator,
  si: SetupIntentObject,
  pm: PaymentMethodObject,
  req: RequestInfo | null,
  error: Omit<IntentError, 'doc_url' | 'payment_method'>,
): void {
  update(si, {
    status: 'requires_payment_method',
    next_action: null,
    payment_method: null,
    last_setup_error: { ...error, doc_url: docUrl(error.code), payment_method: clone(pm) },
  });
  em.emit('setup_intent.setup_failed', si, req);
}

function confirm(em: Emulator, si: SetupIntentObject, params: Params, req: RequestInfo): SetupIntentObject {
  if (!CONFIRMABLE.includes(si.status)) {
    throw new StripeApiError(400, `You cannot confirm this SetupIntent because it has a status of ${si.status}.`, {
      code: 'setup_intent_unexpected_state',
      extra: { setup_intent: clone(si) },
    });
  }
  const pmId = params.payment_method || si.payment_method;
  if (!pmId) {
    throw invalid(
      'You cannot confirm this SetupIntent because it has no payment method. Provide a payment_method.',
      'setup_intent_unexpected_state',
      'payment_method',
    );
  }
  const pm = resolvePaymentMethod(em, pmId, req);
  const outcome = testCardOf(em, pm).outcome;
  si.payment_method = pm.id;
  if (outcome.kind === 'decline') {
    const { code, declineCode, message } = outcome;
    fail(em, si, pm, req, { code, decline_code: declineCode, message, type: 'card_error' });
    throw new StripeApiError(402, message, {
      type: 'card_error',
      code,
      declineCode,
      extra: { payment_method: clone(pm), setup_intent: clone(si) },
    });
  }
  if (outcome.kind === 'authenticate') {
    requireAuthentication(em, si, str(params, 'return_url') ?? null, req);
    return si;
  }
  succeed(em, si, pm, req);
  return si;
}

/** Outcome of the emulated 3-D Secure page for a SetupIntent. */
export function completeSetupAuthentication(em: Emulator, si: SetupIntentObject, success: boolean): void {
  const pm = em.store.find(si.payment_method, 'payment_method');
  if (success) return succeed(em, si, pm, null);
  fail(em, si, pm, null, {
    code: 'setup_intent_authentication_failure',
    message:
      'The latest attempt to set up the payment method has failed because authentication failed. Provide a new payment method to attempt to set it up again.',
    type: 'invalid_request_error',
  });
}

export function registerSetupIntents(router: Router, em: Emulator): void {
  router.add('POST', '/v1/setup_intents', ({ params, req }) => {
    const id = newId('seti');
    const si = em.store.put<SetupIntentObject>({
      id,
      object: 'setup_intent',
      application: null,
      automatic_payment_methods: null,
      cancellation_reason: null,
      client_secret: `${id}_secret_${randomToken(25)}`,
      created: em.nowSec(),
      customer: null,
      description: null,
      flow_directions: null,
      last_setup_error: null,
      latest_attempt: null,
      livemode: false,
      mandate: null,
      metadata: {},
      next_action: null,
      on_behalf_of: null,
      payment_method: null,
      payment_method_configuration_details: null,
      payment_method_options: { card: { mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
      payment_method_types: ['card'],
      single_use_mandate: null,
      status: 'requires_payment_method',
      usage: oneOf(params, 'usage', ['off_session', 'on_session']) ?? 'off_session',
    });
    applyUpdate(em, si, params, req);
    const automatic = hash(params, 'automatic_payment_methods');
    if (automatic?.enabled === 'true') {
      si.automatic_payment_methods = {
        allow_redirects: oneOf(automatic, 'allow_redirects', ['always', 'never']) ?? 'always',
        enabled: true,
      };
    }
    em.emit('setup_intent.created', si, req);
    if (bool(params, 'confirm')) confirm(em, si, params, req);
    return si;
  });

  router.add(
    'GET',
    '/v1/setup_intents/:id',
    (call) => {
      const si = findForCall(em, call, 'setup_intent');
      return si;
    },
    { publishable: true },
  );

  router.add('POST', '/v1/setup_intents/:id', ({ path, params, req }) => {
    const si = em.store.find(path.id, 'setup_intent', 'intent');
    if (!CONFIRMABLE.includes(si.status)) {
      throw new StripeApiError(400, `You cannot update this SetupIntent because it has a status of ${si.status}.`, {
        code: 'setup_intent_unexpected_state',
      });
    }
    applyUpdate(em, si, params, req);
    return si;
  });

  router.add(
    'POST',
    '/v1/setup_intents/:id/confirm',
    (call) => {
      const si = findForCall(em, call, 'setup_intent');
      return confirm(em, si, call.params, call.req);
    },
    { publishable: true },
  );

  router.add('POST', '/v1/setup_intents/:id/cancel', ({ path, params, req }) => {
    const si = em.store.find(path.id, 'setup_intent', 'intent');
    const reason = oneOf(params, 'cancellation_reason', ['abandoned', 'requested_by_customer', 'duplicate']);
    if (!CANCELABLE.includes(si.status)) {
      throw new StripeApiError(
        400,
        `You cannot cancel this SetupIntent because it has a status of ${si.status}. Only a SetupIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
        { code: 'setup_intent_unexpected_state' },
      );
    }
    update(si, { status: 'canceled', cancellation_reason: reason ?? null, next_action: null });
    em.emit('setup_intent.canceled', si, req);
    return si;
  });

  router.add('GET', '/v1/setup_intents', ({ params }) => {
    const items = em.store.list(
      'setup_intent',
      (si) =>
        (!params.customer || si.customer === params.customer) &&
        (!params.payment_method || si.payment_method === params.payment_method) &&
        matchesCreated(si.created, params.created),
    );
    return paginate(items, params, '/v1/setup_intents');
  });
}
