import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/configuration';
import type Stripe from 'stripe';
import type { EntityManager } from 'typeorm';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { CustomersService } from '../customers/customers.service';
import { PaymentsService } from '../payments/payments.service';
import { RefundsService } from '../refunds/refunds.service';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import { PaymentMethodsService } from '../payment-methods/payment-methods.service';
import { SetupIntentsService } from '../setup-intents/setup-intents.service';
import type { StripeEventEnvelope } from './stripe-event';
import { webhookApplyDuration } from './webhook-metrics';

const PAYMENT_INTENT_EVENTS = new Set([
  'payment_intent.created',
  'payment_intent.requires_action',
  'payment_intent.processing',
  'payment_intent.amount_capturable_updated',
  'payment_intent.partially_funded',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
]);

export interface DispatchOutcome {
  result: ApplyResult | 'unhandled';
  /** Why, when the result alone does not say it (stored as the event's note or error). */
  detail?: string;
}

/**
 * Routes an event to the feature that owns its object. Each apply* method enforces order safety in
 * the database (see ORDER-SAFETY in webhooks.module.ts), so replays and out-of-order events are harmless.
 */
@Injectable()
export class WebhookDispatcher {
  private readonly adoptAfterSeconds: number;

  constructor(
    private readonly customers: CustomersService,
    private readonly payments: PaymentsService,
    private readonly refunds: RefundsService,
    private readonly subscriptions: SubscriptionsService,
    private readonly paymentMethods: PaymentMethodsService,
    private readonly setupIntents: SetupIntentsService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.adoptAfterSeconds = config.get('webhooks.adoptAfterSeconds', { infer: true });
  }

  /**
   * With `manager`, every write (rows and their domain events) happens inside that transaction and no
   * other is opened: a worker can apply a claimed batch in one transaction.
   */
  async dispatch(event: StripeEventEnvelope, context: { manager?: EntityManager } = {}): Promise<DispatchOutcome> {
    const end = webhookApplyDuration.startTimer({ event_type: event.type });
    try {
      const outcome = await this.route(event, context);
      end({ result: outcome.result });
      return outcome;
    } catch (error) {
      end({ result: 'error' });
      throw error;
    }
  }

  /**
   * The batch path of the inbox worker: the events whose whole apply is one mirror's (payment intents, the
   * bulk of the traffic) are applied together in `manager`'s transaction, three statements for the lot.
   * Returns their outcomes by event id; every other event, and any the mirror hands back (no row yet, a
   * decision that needs Stripe), is for dispatch() one by one.
   */
  async dispatchBatch(events: StripeEventEnvelope[], manager: EntityManager, minimum = 2): Promise<Map<string, DispatchOutcome>> {
    const outcomes = new Map<string, DispatchOutcome>();
    const intents = events.filter((e) => PAYMENT_INTENT_EVENTS.has(e.type));
    if (intents.length < minimum) return outcomes;
    const started = process.hrtime.bigint();
    const results = await this.payments.applyStripePaymentIntentEvents(
      manager,
      intents.map((e) => ({ object: e.data.object as unknown as Stripe.PaymentIntent, eventCreated: e.created })),
    );
    const share = Number(process.hrtime.bigint() - started) / 1e9 / intents.length;
    intents.forEach((event, i) => {
      const result = results[i];
      if (!result) return;
      outcomes.set(event.id, { result });
      webhookApplyDuration.observe({ event_type: event.type, result }, share);
    });
    return outcomes;
  }

  /** Whether dispatchBatch takes events of this type (the rest are applied one by one). */
  batches(type: string): boolean {
    return PAYMENT_INTENT_EVENTS.has(type);
  }

  private async route(event: StripeEventEnvelope, context: { manager?: EntityManager }): Promise<DispatchOutcome> {
    const opts: ApplyOptions = { eventCreated: event.created, manager: context.manager, adoptAfterSeconds: this.adoptAfterSeconds };
    const object = event.data.object as unknown;
    if (PAYMENT_INTENT_EVENTS.has(event.type))
      return { result: await this.payments.applyStripePaymentIntent(object as Stripe.PaymentIntent, opts) };
    switch (event.type) {
      case 'refund.created':
      case 'refund.updated':
      case 'refund.failed':
      case 'charge.refund.updated':
        return { result: await this.refunds.applyStripeRefund(object as Stripe.Refund, opts) };

      case 'charge.refunded':
        return this.chargeRefunded(object as Stripe.Charge, opts);

      case 'customer.created':
      case 'customer.updated':
        return { result: await this.customers.applyStripeCustomer(object as Stripe.Customer, opts) };

      case 'customer.deleted':
        // Stripe's customer.deleted carries the customer as it was, without `deleted: true`: the type says it.
        return { result: await this.customers.applyStripeCustomer({ ...(object as Stripe.Customer), deleted: true }, opts) };

      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
      case 'customer.subscription.paused':
      case 'customer.subscription.resumed':
      case 'customer.subscription.pending_update_applied':
      case 'customer.subscription.pending_update_expired':
      case 'customer.subscription.trial_will_end':
        return { result: await this.subscriptions.applyStripeSubscription(object as Stripe.Subscription, opts) };

      case 'invoice.created':
      case 'invoice.finalized':
      case 'invoice.updated':
      case 'invoice.paid':
      case 'invoice.payment_succeeded':
      case 'invoice.payment_failed':
      case 'invoice.payment_action_required':
      case 'invoice.voided':
      case 'invoice.marked_uncollectible':
        return { result: await this.subscriptions.applyStripeInvoice(object as Stripe.Invoice, opts) };

      case 'setup_intent.created':
      case 'setup_intent.requires_action':
      case 'setup_intent.succeeded':
      case 'setup_intent.setup_failed':
      case 'setup_intent.canceled':
        return { result: await this.setupIntents.applyStripeSetupIntent(object as Stripe.SetupIntent, opts) };

      case 'payment_method.attached':
      case 'payment_method.updated':
      case 'payment_method.automatically_updated':
      case 'payment_method.detached': {
        // A detached card has no customer at Stripe; say so whatever the snapshot carries.
        const pm = object as Stripe.PaymentMethod;
        const detached = event.type === 'payment_method.detached' ? { ...pm, customer: null } : pm;
        return { result: await this.paymentMethods.applyStripePaymentMethod(detached, opts) };
      }

      default:
        return { result: 'unhandled' };
    }
  }

  /** Since API 2022-11-15 a charge no longer embeds its refunds; when it does, apply them, else refund.* events carry them. */
  private async chargeRefunded(charge: Stripe.Charge, opts: ApplyOptions): Promise<DispatchOutcome> {
    const embedded = charge.refunds?.data ?? [];
    if (embedded.length === 0)
      return { result: 'stale', detail: 'charge.refunded without embedded refunds: applied through refund.* events' };
    const results: ApplyResult[] = [];
    for (const refund of embedded) results.push(await this.refunds.applyStripeRefund(refund, opts));
    if (results.includes('not_yet')) return { result: 'not_yet' };
    if (results.includes('applied')) return { result: 'applied' };
    return { result: results.every((r) => r === 'foreign') ? 'foreign' : 'stale' };
  }
}
