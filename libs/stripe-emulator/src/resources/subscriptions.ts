import { Emulator } from '../core/emulator';
import { StripeApiError, invalid } from '../core/errors';
import { newId } from '../core/ids';
import { matchesCreated, paginate } from '../core/list';
import { Params, bool, hash, hashList, int, mergeMetadata, oneOf, str } from '../core/params';
import { RequestInfo, Router } from '../core/router';
import {
  CANCELLATION_FEEDBACK,
  CancellationDetails,
  Interval,
  PlanObject,
  PriceObject,
  Recurring,
  SubscriptionItemObject,
  SubscriptionObject,
} from '../core/billing-objects';
import { clone, update } from '../core/store';
import { attemptInvoicePayment, createSubscriptionInvoice, recordPaymentFailure } from './invoices';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods';

const BEHAVIOURS = ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'] as const;

export function addInterval(fromSec: number, interval: Interval, count: number): number {
  const d = new Date(fromSec * 1000);
  if (interval === 'day') d.setUTCDate(d.getUTCDate() + count);
  else if (interval === 'week') d.setUTCDate(d.getUTCDate() + 7 * count);
  else if (interval === 'month') d.setUTCMonth(d.getUTCMonth() + count);
  else d.setUTCFullYear(d.getUTCFullYear() + count);
  return Math.floor(d.getTime() / 1000);
}

export function billingPm(em: Emulator, sub: SubscriptionObject): string | null {
  return sub.default_payment_method ?? em.store.get(sub.customer, 'customer')?.invoice_settings.default_payment_method ?? null;
}

function setPeriod(sub: SubscriptionObject, start: number, end: number): void {
  for (const item of sub.items.data) update(item, { current_period_start: start, current_period_end: end });
}

/** Items only take recurring prices (checked on create). */
function recurringOf(price: PriceObject): Recurring {
  if (!price.recurring) throw new Error(`stripe-emulator: subscription price ${price.id} is not recurring`);
  return price.recurring;
}

function periodEnd(sub: SubscriptionObject, start: number): number {
  const recurring = recurringOf(sub.items.data[0].price);
  return addInterval(start, recurring.interval, recurring.interval_count);
}

/** Prices replaced plans; subscription items still carry the plan view of their price. */
function planOf(price: PriceObject, recurring: Recurring): PlanObject {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: recurring.interval,
    interval_count: recurring.interval_count,
    livemode: false,
    metadata: price.metadata,
    nickname: price.nickname,
    product: price.product,
    usage_type: recurring.usage_type,
  };
}

function createSubscription(em: Emulator, params: Params, req: RequestInfo): SubscriptionObject {
  const customer = em.store.find(params.customer, 'customer', 'customer');
  const rawItems = hashList(params, 'items');
  if (!rawItems.length)
    throw new StripeApiError(400, 'Missing required param: items.', {
      code: 'parameter_missing',
      param: 'items',
      preExecution: true,
    });
  const id = newId('sub');
  const now = em.nowSec();
  const items = rawItems.map((raw, i): SubscriptionItemObject => {
    const price = em.store.find(raw.price, 'price', `items[${i}][price]`);
    const recurring = price.recurring;
    if (!recurring)
      throw invalid(
        `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
        undefined,
        `items[${i}][price]`,
      );
    return {
      id: newId('si'),
      object: 'subscription_item',
      created: now,
      current_period_end: now,
      current_period_start: now,
      discounts: [],
      metadata: mergeMetadata({}, raw.metadata),
      plan: planOf(price, recurring),
      price: clone(price),
      quantity: int(raw, 'quantity', `items[${i}][quantity]`) ?? 1,
      subscription: id,
      tax_rates: [],
    };
  });
  const behaviour = oneOf(params, 'payment_behavior', BEHAVIOURS) ?? 'allow_incomplete';
  let defaultPm: string | null = null;
  if (params.default_payment_method) {
    const pm = resolvePaymentMethod(em, params.default_payment_method, req, 'default_payment_method');
    attachPaymentMethod(em, pm, customer.id, req);
    defaultPm = pm.id;
  }
  const trialDays = int(params, 'trial_period_days');
  const classic = hash(params, 'billing_mode')?.type === 'classic';
  const paymentSettings = hash(params, 'payment_settings');
  const saveDefault = paymentSettings && oneOf(paymentSettings, 'save_default_payment_method', ['off', 'on_subscription']);
  const chargePm = defaultPm ?? customer.invoice_settings.default_payment_method;
  if (!trialDays && behaviour !== 'default_incomplete' && !chargePm) {
    throw invalid(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.',
      'resource_missing',
    );
  }
  const sub = em.store.put<SubscriptionObject>({
    id,
    object: 'subscription',
    application: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: trialDays ? now + trialDays * 86400 : now,
    // Flexible is the default billing mode of the pinned version; `classic` is accepted and shown.
    billing_mode: {
      type: classic ? 'classic' : 'flexible',
      flexible: classic ? null : { proration_discounts: 'itemized' },
      updated_at: now,
    },
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: 'charge_automatically',
    created: now,
    currency: items[0].price.currency,
    customer: customer.id,
    days_until_due: null,
    default_payment_method: defaultPm,
    description: str(params, 'description') ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: {
      object: 'list',
      data: items,
      has_more: false,
      total_count: items.length,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: null,
    livemode: false,
    metadata: mergeMetadata({}, params.metadata),
    pending_setup_intent: null,
    pending_update: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: saveDefault ?? 'off',
    },
    start_date: now,
    status: 'incomplete',
    test_clock: customer.test_clock ?? null,
    trial_end: trialDays ? now + trialDays * 86400 : null,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: trialDays ? now : null,
  });
  em.store.meta(sub.id).creating = true;
  try {
    const end = trialDays ? now + trialDays * 86400 : periodEnd(sub, now);
    setPeriod(sub, now, end);
    if (trialDays) sub.status = 'trialing';
    const invoice = createSubscriptionInvoice(em, sub, { start: now, end, billingReason: 'subscription_create', free: !!trialDays }, req);
    sub.latest_invoice = invoice.id;
    if (!trialDays && behaviour !== 'default_incomplete') {
      attemptInvoicePayment(em, invoice, resolvePaymentMethod(em, chargePm, req), req, { swallowDecline: true });
    } else if (!trialDays && chargePm && invoice.payment_intent) {
      const pi = em.store.find(invoice.payment_intent, 'payment_intent');
      update(pi, { payment_method: chargePm, status: 'requires_confirmation' });
    }
    if (behaviour === 'error_if_incomplete' && sub.status === 'incomplete') {
      const pi = em.store.find(invoice.payment_intent, 'payment_intent');
      sub.status = 'incomplete_expired';
      const error = pi.last_payment_error;
      const message =
        error?.message ?? 'Payment for this subscription requires additional user action before it can be completed successfully.';
      throw new StripeApiError(402, message, {
        type: 'card_error',
        code: error?.code ?? 'invoice_payment_intent_requires_action',
        declineCode: error?.decline_code,
        paymentIntent: clone(pi),
      });
    }
  } finally {
    em.store.meta(sub.id).creating = false;
    em.emit('customer.subscription.created', sub, req);
  }
  return sub;
}

/** The billing clock ticks: a renewal invoice charged with the default payment method. */
export function advanceSubscription(em: Emulator, subId: string, outcome?: string): SubscriptionObject {
  const sub = em.store.find(subId, 'subscription', 'subscription');
  if (!['active', 'trialing', 'past_due'].includes(sub.status)) {
    throw invalid(`Only active, trialing or past_due subscriptions can be advanced; this one is ${sub.status}.`);
  }
  const before = clone(sub);
  const start = sub.items.data[0].current_period_end;
  if (sub.cancel_at_period_end) {
    update(sub, { status: 'canceled', canceled_at: em.nowSec(), ended_at: start });
    em.emit('customer.subscription.deleted', sub, null, { status: before.status });
    return sub;
  }
  setPeriod(sub, start, periodEnd(sub, start));
  em.emitUpdate('customer.subscription.updated', before, sub, null);
  const invoice = createSubscriptionInvoice(
    em,
    sub,
    { start, end: periodEnd(sub, start), billingReason: 'subscription_cycle', free: false },
    null,
  );
  sub.latest_invoice = invoice.id;
  const pmId = billingPm(em, sub);
  if (!pmId) recordPaymentFailure(em, invoice, null);
  else
    attemptInvoicePayment(em, invoice, resolvePaymentMethod(em, pmId, null), null, {
      swallowDecline: true,
      offSession: true,
      forceDecline: outcome === 'fail',
    });
  return sub;
}

/** The caller's side of `cancellation_details` (Stripe sets `reason` itself). */
function cancellationDetails(params: Params): Partial<CancellationDetails> {
  const details = hash(params, 'cancellation_details');
  if (!details) return {};
  const out: Partial<CancellationDetails> = {};
  const comment = str(details, 'comment');
  if (comment !== undefined) out.comment = comment;
  if (details.feedback === '') out.feedback = null;
  else {
    const feedback = oneOf(details, 'feedback', CANCELLATION_FEEDBACK);
    if (feedback) out.feedback = feedback;
  }
  return out;
}

export function registerSubscriptions(router: Router, em: Emulator): void {
  router.add('POST', '/v1/subscriptions', ({ params, req }) => {
    return em.atTime(em.clockTimeOf(params.customer), () => createSubscription(em, params, req));
  });

  router.add('GET', '/v1/subscriptions/:id', ({ path }) => {
    return em.store.find(path.id, 'subscription', 'id');
  });

  router.add('POST', '/v1/subscriptions/:id', ({ path, params, req }) => {
    const sub = em.store.find(path.id, 'subscription', 'id');
    const before = clone(sub);
    if (sub.status === 'canceled' && Object.keys(params).some((k) => !['metadata', 'cancellation_details', 'expand'].includes(k))) {
      throw invalid('A canceled subscription can only update its cancellation_details and metadata.');
    }
    const cancelAtEnd = bool(params, 'cancel_at_period_end');
    if (cancelAtEnd !== undefined) {
      sub.cancel_at_period_end = cancelAtEnd;
      sub.cancel_at = cancelAtEnd ? sub.items.data[0].current_period_end : null;
      sub.canceled_at = cancelAtEnd ? em.nowSec() : null;
    }
    if (params.default_payment_method === '') sub.default_payment_method = null;
    else if (params.default_payment_method) {
      const pm = resolvePaymentMethod(em, params.default_payment_method, req, 'default_payment_method');
      attachPaymentMethod(em, pm, sub.customer, req);
      sub.default_payment_method = pm.id;
    }
    const description = str(params, 'description');
    if (description !== undefined) sub.description = description;
    sub.metadata = mergeMetadata(sub.metadata, params.metadata);
    update(sub.cancellation_details, cancellationDetails(params));
    em.emitUpdate('customer.subscription.updated', before, sub, req);
    return sub;
  });

  router.add('DELETE', '/v1/subscriptions/:id', ({ path, params, req }) => {
    const sub = em.store.find(path.id, 'subscription', 'id');
    if (sub.status === 'canceled') throw invalid(`This subscription is already canceled.`, 'resource_missing');
    const before = clone(sub);
    update(sub, { status: 'canceled', canceled_at: em.nowSec(), ended_at: em.nowSec() });
    sub.cancellation_details = {
      comment: null,
      feedback: null,
      ...cancellationDetails(params),
      reason: 'cancellation_requested',
    };
    em.emit('customer.subscription.deleted', sub, req, { status: before.status });
    return sub;
  });

  router.add('GET', '/v1/subscriptions', ({ params }) => {
    const status = params.status;
    const items = em.store.list(
      'subscription',
      (s) =>
        (!params.customer || s.customer === params.customer) &&
        (status === 'all' || (status ? s.status === status : !['canceled', 'incomplete_expired'].includes(s.status))) &&
        (!params.price || s.items.data.some((i) => i.price.id === params.price)) &&
        matchesCreated(s.created, params.created),
    );
    return paginate(items, params, '/v1/subscriptions');
  });
}
