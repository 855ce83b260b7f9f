import { Emulator } from '../core/emulator';
import { StripeApiError, docUrl } from '../core/errors';
import { RequestInfo } from '../core/router';
import type { PaymentIntentObject, PaymentMethodObject, SetupIntentObject } from '../core/objects';
import { clone } from '../core/store';
import { createCharge } from './charges';
import { attachPaymentMethod, testCardOf } from './payment-methods';

export interface ConfirmOptions {
  offSession?: boolean;
  returnUrl?: string | null;
  /** Subscriptions charge without raising: the caller reads the outcome on the intent. */
  swallowDecline?: boolean;
  /** Emulator-driven renewals can be told to fail whatever the card. */
  forceDecline?: boolean;
}

/** A card saved for off-session use (SetupIntent usage off_session, or a payment with setup_future_usage). */
export function markSetUpOffSession(em: Emulator, pm: PaymentMethodObject): void {
  em.store.meta(pm.id).setUpOffSession = true;
}

function isSetUpOffSession(em: Emulator, pm: PaymentMethodObject): boolean {
  return em.store.meta(pm.id).setUpOffSession === true;
}

/** Runs the card's documented outcome; a decline answers 402 after the intent has been updated. */
export function confirmIntent(
  em: Emulator,
  pi: PaymentIntentObject,
  pm: PaymentMethodObject,
  req: RequestInfo | null,
  opts: ConfirmOptions,
): void {
  const card = testCardOf(em, pm);
  pi.payment_method = pm.id;
  pi.last_payment_error = null;
  pi.next_action = null;
  if (opts.forceDecline) {
    return decline(em, pi, pm, req, opts, 'card_declined', 'generic_decline', 'Your card was declined.');
  }
  if (card.outcome.kind === 'decline') {
    return decline(em, pi, pm, req, opts, card.outcome.code, card.outcome.declineCode, card.outcome.message, card.outcome);
  }
  if (card.outcome.kind === 'authenticate') {
    const exempt = card.outcome.offSession === 'succeed' || (card.outcome.offSession === 'if_set_up' && isSetUpOffSession(em, pm));
    if (opts.offSession && exempt) return authorize(em, pi, pm, req);
    if (opts.offSession) {
      return decline(
        em,
        pi,
        pm,
        req,
        opts,
        'authentication_required',
        'authentication_required',
        'Your card was declined. This transaction requires authentication.',
      );
    }
    requireAuthentication(em, pi, opts.returnUrl ?? null, req);
    em.intentChanged(pi, req);
    return;
  }
  authorize(em, pi, pm, req);
}

/**
 * The card asks for 3-D Secure: a PaymentIntent or SetupIntent waits in requires_action with a redirect to
 * the emulated bank page, which sends the customer back to `returnUrl` (the caller's, kept for that page).
 */
export function requireAuthentication(
  em: Emulator,
  intent: PaymentIntentObject | SetupIntentObject,
  returnUrl: string | null,
  req: RequestInfo | null,
): void {
  intent.status = 'requires_action';
  intent.next_action = {
    type: 'redirect_to_url',
    redirect_to_url: { url: `${em.baseUrl}/_emulator/3ds/${intent.id}`, return_url: returnUrl },
  };
  em.store.meta(intent.id).returnUrl = returnUrl;
  em.emit(`${intent.object}.requires_action`, intent, req);
}

/** Card accepted: capture now, or hold the funds for a manual capture. */
export function authorize(em: Emulator, pi: PaymentIntentObject, pm: PaymentMethodObject, req: RequestInfo | null): void {
  const manual = pi.capture_method === 'manual';
  const charge = createCharge(em, pi, pm, { kind: 'succeed' }, !manual);
  pi.latest_charge = charge.id;
  pi.next_action = null;
  if (pi.setup_future_usage && pi.customer && !pm.customer) attachPaymentMethod(em, pm, pi.customer, req);
  if (pi.setup_future_usage === 'off_session') markSetUpOffSession(em, pm);
  em.emit('charge.succeeded', charge, req);
  if (manual) {
    pi.status = 'requires_capture';
    pi.amount_capturable = pi.amount;
    em.emit('payment_intent.amount_capturable_updated', pi, req);
  } else {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    em.emit('payment_intent.succeeded', pi, req);
  }
  em.intentChanged(pi, req);
}

function decline(
  em: Emulator,
  pi: PaymentIntentObject,
  pm: PaymentMethodObject,
  req: RequestInfo | null,
  opts: ConfirmOptions,
  code: string,
  declineCode: string,
  message: string,
  outcome = { kind: 'decline' as const, code, declineCode, message },
): void {
  const charge = createCharge(em, pi, pm, outcome, false);
  pi.status = 'requires_payment_method';
  pi.latest_charge = charge.id;
  pi.payment_method = null;
  pi.last_payment_error = {
    charge: charge.id,
    code,
    decline_code: declineCode,
    doc_url: docUrl(code),
    message,
    payment_method: clone(pm),
    type: 'card_error',
  };
  em.emit('charge.failed', charge, req);
  em.emit('payment_intent.payment_failed', pi, req);
  em.intentChanged(pi, req);
  if (opts.swallowDecline) return;
  throw new StripeApiError(402, message, {
    type: 'card_error',
    code,
    declineCode,
    paymentIntent: clone(pi),
    extra: { charge: charge.id, payment_method: clone(pm) },
  });
}

/** Outcome of the emulated 3-D Secure page. */
export function completeAuthentication(em: Emulator, pi: PaymentIntentObject, pm: PaymentMethodObject, success: boolean): void {
  const outcome = testCardOf(em, pm).outcome;
  const afterAuth = outcome.kind === 'authenticate' ? outcome.afterAuth : undefined;
  if (success && afterAuth?.kind === 'decline') {
    const { code, declineCode, message } = afterAuth;
    return decline(em, pi, pm, null, { swallowDecline: true }, code, declineCode, message, afterAuth);
  }
  if (success) return authorize(em, pi, pm, null);
  pi.status = 'requires_payment_method';
  pi.next_action = null;
  pi.payment_method = null;
  pi.last_payment_error = {
    code: 'payment_intent_authentication_failure',
    doc_url: docUrl('payment_intent_authentication_failure'),
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
    payment_method: clone(pm),
    type: 'invalid_request_error',
  };
  em.emit('payment_intent.payment_failed', pi, null);
  em.intentChanged(pi, null);
}
