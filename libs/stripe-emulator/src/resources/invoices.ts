import { Emulator } from '../core/emulator';
import { invalid } from '../core/errors';
import { newId } from '../core/ids';
import { matchesCreated, paginate } from '../core/list';
import { bool, hash } from '../core/params';
import { RequestInfo, Router } from '../core/router';
import type { InvoiceLineObject, InvoiceObject, SubscriptionObject } from '../core/billing-objects';
import type { PaymentMethodObject } from '../core/objects';
import { update } from '../core/store';
import { ConfirmOptions, confirmIntent } from './payment-flow';
import { createIntent } from './payment-intents';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods';

/** Days before each retry of a failed renewal; once they are used up the subscription is canceled (Stripe's default). */
export const RETRY_DAYS = [3, 5, 7];

export interface InvoicePeriod {
  start: number;
  end: number;
  billingReason: 'subscription_create' | 'subscription_cycle';
  /** Trial invoices bill nothing. */
  free: boolean;
}

/** Drafts, finalizes and (for a non-zero total) opens a PaymentIntent for one subscription period. */
export function createSubscriptionInvoice(
  em: Emulator,
  sub: SubscriptionObject,
  period: InvoicePeriod,
  req: RequestInfo | null,
): InvoiceObject {
  const customer = em.store.find(sub.customer, 'customer');
  const id = newId('in');
  const lines = sub.items.data.map((item): InvoiceLineObject => {
    const amount = period.free ? 0 : item.price.unit_amount * item.quantity;
    const product = em.store.get(item.price.product, 'product');
    return {
      id: newId('il'),
      object: 'line_item',
      amount,
      currency: item.price.currency,
      description: `${item.quantity} × ${product?.name ?? 'Product'}${period.free ? ' (Trial period)' : ''}`,
      discountable: true,
      discounts: [],
      invoice: id,
      livemode: false,
      metadata: {},
      parent: {
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: null,
          proration: false,
          proration_details: { credited_items: null },
          subscription: sub.id,
          subscription_item: item.id,
        },
        type: 'subscription_item_details',
      },
      period: { end: period.end, start: period.start },
      pricing: {
        price_details: { price: item.price.id, product: item.price.product },
        type: 'price_details',
        unit_amount_decimal: String(period.free ? 0 : item.price.unit_amount),
      },
      quantity: item.quantity,
      subscription: sub.id,
    };
  });
  const total = lines.reduce((sum, l) => sum + l.amount, 0);
  const invoice = em.store.put<InvoiceObject>({
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Stripe Emulator',
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: total,
    amount_shipping: 0,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    billing_reason: period.billingReason,
    collection_method: 'charge_automatically',
    confirmation_secret: null,
    created: em.nowSec(),
    currency: sub.currency,
    customer: customer.id,
    customer_email: customer.email,
    customer_name: customer.name,
    default_payment_method: null,
    description: null,
    discounts: [],
    due_date: null,
    ending_balance: 0,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: `${customer.invoice_prefix}-${String(customer.next_invoice_sequence++).padStart(4, '0')}`,
    parent: {
      quote_details: null,
      subscription_details: { metadata: sub.metadata, subscription: sub.id },
      type: 'subscription_details',
    },
    payment_intent: null,
    payments: { object: 'list', data: [], has_more: false, url: `/v1/invoice_payments?invoice=${id}` },
    period_end: period.end,
    period_start: period.start,
    starting_balance: 0,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subscription: sub.id,
    subtotal: total,
    total,
    webhooks_delivered_at: null,
  });
  em.emit('invoice.created', invoice, req);
  invoice.status = 'open';
  invoice.status_transitions.finalized_at = em.nowSec();
  if (total > 0) {
    const pi = createIntent(em, {
      amount: total,
      currency: invoice.currency,
      customer: customer.id,
      description: period.billingReason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
      setup_future_usage: 'off_session',
      // Dropped from the object in newer API versions, still what most integrations read.
      invoice: invoice.id,
    });
    em.store.meta(pi.id).invoice = invoice.id;
    invoice.payment_intent = pi.id;
    invoice.confirmation_secret = { client_secret: pi.client_secret, type: 'payment_intent' };
    invoice.payments.data.push({
      id: newId('inpay'),
      object: 'invoice_payment',
      amount_paid: null,
      amount_requested: total,
      created: em.nowSec(),
      currency: invoice.currency,
      invoice: invoice.id,
      is_default: true,
      livemode: false,
      payment: { payment_intent: pi.id, type: 'payment_intent' },
      status: 'open',
      status_transitions: { canceled_at: null, paid_at: null },
    });
    em.emit('payment_intent.created', pi, req);
  }
  em.emit('invoice.finalized', invoice, req);
  if (total === 0) markPaid(em, invoice, req);
  return invoice;
}

function markPaid(em: Emulator, invoice: InvoiceObject, req: RequestInfo | null): void {
  update(invoice, {
    status: 'paid',
    amount_paid: invoice.amount_due,
    amount_remaining: 0,
    attempted: true,
    next_payment_attempt: null,
  });
  invoice.status_transitions.paid_at = em.nowSec();
  for (const p of invoice.payments.data)
    update(p, {
      status: 'paid',
      amount_paid: p.amount_requested,
      status_transitions: { canceled_at: null, paid_at: em.nowSec() },
    });
  em.emit('invoice.paid', invoice, req);
  em.emit('invoice.payment_succeeded', invoice, req);
}

/** Charges the invoice's PaymentIntent with the given card; the outcome arrives through onIntentChange. */
export function attemptInvoicePayment(
  em: Emulator,
  invoice: InvoiceObject,
  pm: PaymentMethodObject,
  req: RequestInfo | null,
  opts: ConfirmOptions,
): void {
  const pi = em.store.find(invoice.payment_intent, 'payment_intent');
  if (!pm.customer) attachPaymentMethod(em, pm, invoice.customer, req);
  confirmIntent(em, pi, pm, req, opts);
}

/** Failure without a card to charge, so the subscription still moves as Stripe's would. */
export function recordPaymentFailure(em: Emulator, invoice: InvoiceObject, req: RequestInfo | null): void {
  invoice.attempt_count += 1;
  invoice.attempted = true;
  // Renewals are retried on Stripe's default schedule; a test clock runs the retries as it passes them.
  const retryInDays = invoice.billing_reason === 'subscription_cycle' ? RETRY_DAYS[invoice.attempt_count - 1] : undefined;
  invoice.next_payment_attempt = retryInDays ? em.nowSec() + retryInDays * 86400 : null;
  em.emit('invoice.payment_failed', invoice, req);
  subscriptionAfterPayment(em, invoice, false, req);
}

function subscriptionAfterPayment(
  em: Emulator,
  invoice: InvoiceObject,
  paid: boolean,
  req: RequestInfo | null,
  pmId?: string | null,
): void {
  const sub = em.store.get(invoice.subscription, 'subscription');
  if (!sub) return;
  const before = structuredClone(sub);
  if (!paid && invoice.billing_reason === 'subscription_cycle' && invoice.next_payment_attempt === null && sub.status !== 'canceled') {
    update(sub, { status: 'canceled', canceled_at: em.nowSec(), ended_at: em.nowSec() });
    sub.cancellation_details = { comment: null, feedback: null, reason: 'payment_failed' };
    em.emit('customer.subscription.deleted', sub, req, { status: before.status });
    return;
  }
  if (paid && ['incomplete', 'past_due', 'unpaid', 'trialing'].includes(sub.status)) sub.status = 'active';
  if (!paid && invoice.billing_reason === 'subscription_cycle' && ['active', 'trialing'].includes(sub.status)) sub.status = 'past_due';
  if (paid && pmId && sub.payment_settings.save_default_payment_method === 'on_subscription') sub.default_payment_method = pmId;
  // While the create call runs, its single customer.subscription.created event carries the outcome.
  if (em.store.meta(sub.id).creating) return;
  if (JSON.stringify(before) !== JSON.stringify(sub)) em.emitUpdate('customer.subscription.updated', before, sub, req);
}

export function registerInvoices(router: Router, em: Emulator): void {
  em.onIntentChange((pi, req) => {
    const invoice = em.store.get(em.store.meta(pi.id).invoice ?? '', 'invoice');
    if (!invoice || invoice.status !== 'open') return;
    if (pi.status === 'succeeded') {
      invoice.attempt_count += 1;
      markPaid(em, invoice, req);
      subscriptionAfterPayment(em, invoice, true, req, pi.payment_method);
    } else if (pi.status === 'requires_payment_method' && pi.last_payment_error) {
      recordPaymentFailure(em, invoice, req);
    } else if (pi.status === 'requires_action') {
      em.emit('invoice.payment_action_required', invoice, req);
    }
  });

  router.add('GET', '/v1/invoices/:id', ({ path }) => {
    return em.store.find(path.id, 'invoice', 'invoice');
  });

  router.add('POST', '/v1/invoices/:id/pay', ({ path, params, req }) => {
    const invoice = em.store.find(path.id, 'invoice', 'invoice');
    if (invoice.status !== 'open') throw invalid(`Invoice is already ${invoice.status}.`, 'invoice_not_editable');
    const sub = em.store.get(invoice.subscription, 'subscription');
    const customer = em.store.find(invoice.customer, 'customer');
    const pmId = params.payment_method || sub?.default_payment_method || customer.invoice_settings.default_payment_method;
    if (!pmId) throw invalid('This customer has no attached payment source or default payment method.', 'invoice_no_payment_method_types');
    attemptInvoicePayment(em, invoice, resolvePaymentMethod(em, pmId, req), req, {
      offSession: bool(params, 'off_session') ?? true,
    });
    return invoice;
  });

  router.add('GET', '/v1/invoice_payments', ({ params }) => {
    const paymentIntent = hash(params, 'payment')?.payment_intent;
    const payments = em.store
      .list('invoice', (i) => !params.invoice || i.id === params.invoice)
      .flatMap((i) => [...i.payments.data].reverse())
      .filter((p) => (!paymentIntent || p.payment.payment_intent === paymentIntent) && (!params.status || p.status === params.status));
    return paginate(payments, params, '/v1/invoice_payments');
  });

  router.add('GET', '/v1/invoices', ({ params }) => {
    const items = em.store.list(
      'invoice',
      (i) =>
        (!params.customer || i.customer === params.customer) &&
        (!params.subscription || i.subscription === params.subscription) &&
        (!params.status || i.status === params.status) &&
        matchesCreated(i.created, params.created),
    );
    return paginate(items, params, '/v1/invoices');
  });
}
