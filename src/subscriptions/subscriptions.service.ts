import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { EntityManager, Repository } from 'typeorm';
import { InjectStripe } from '@app/stripe';
import { StripeMirror } from '../common/mirror/stripe-mirror';
import { SUBSCRIPTION_EXPAND, subscriptionMirror } from './subscription.mirror';
import { ProblemException } from '../common/errors/problem';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { CustomersService } from '../customers/customers.service';
import { paginate, Page } from '../common/http/pagination';
import { localIdOf, withLocalId } from '../common/stripe/stripe-metadata';
import { CancelSubscriptionDto, ListSubscriptionsQuery } from './dto/subscription-actions.dto';
import { CreateSubscriptionDto } from './dto/create-subscription.dto';
import { SubscriptionEntity } from './subscription.entity';
import {
  APPLY_INVOICE_SQL,
  FINAL_SUBSCRIPTION_STATUSES,
  invoiceParams,
  invoicePaymentIntent,
  invoiceState,
  invoiceSubscriptionId,
} from './subscription-state';

const EXPAND = SUBSCRIPTION_EXPAND;

@Injectable()
export class SubscriptionsService {
  private readonly mirror: StripeMirror<Stripe.Subscription, SubscriptionEntity>;

  constructor(
    @InjectRepository(SubscriptionEntity) private readonly subscriptions: Repository<SubscriptionEntity>,
    @InjectStripe() private readonly stripe: Stripe,
    private readonly customers: CustomersService,
  ) {
    this.mirror = new StripeMirror(subscriptionMirror(stripe), subscriptions.manager);
  }

  /**
   * `id` is the operation id: a retry with the same Idempotency-Key reuses the Stripe key, so Stripe
   * answers with the same subscription and the insert converges on the same row.
   * Without a payment method (given, or the customer's default) the first invoice waits for the front end
   * (default_incomplete + client secret); with one it is charged at once (allow_incomplete: a decline answers incomplete, not an error).
   */
  async create(id: string, dto: CreateSubscriptionDto): Promise<SubscriptionEntity> {
    const customer = await this.customers.getActive(dto.customerId);
    const sub = await this.stripe.subscriptions.create(
      {
        customer: customer.stripeCustomerId,
        items: [{ price: dto.priceId, quantity: dto.quantity ?? 1 }],
        default_payment_method: dto.paymentMethod,
        // A customer's saved default card is charged at once too, with no client secret involved.
        payment_behavior: dto.paymentMethod || customer.defaultPaymentMethod ? 'allow_incomplete' : 'default_incomplete',
        // The card the customer confirms the first invoice with pays the renewals too.
        payment_settings: { save_default_payment_method: 'on_subscription' },
        trial_period_days: dto.trialPeriodDays,
        metadata: withLocalId(dto.metadata, id),
        expand: EXPAND,
      },
      { idempotencyKey: `subscriptions.create:${id}` },
    );
    const invoice = this.invoiceWriter(sub, await this.openIntentOf(sub), true);
    await this.subscriptions.manager.transaction(async (m) => {
      await invoice?.(m); // a retry: the row exists already
      await this.mirror.create(id, sub, { customer_id: customer.id }, { manager: m, afterInsert: invoice });
    });
    return this.get(id);
  }

  async get(id: string): Promise<SubscriptionEntity> {
    const subscription = await this.subscriptions.findOneBy({ id });
    if (!subscription) throw new ProblemException(404, 'subscription_not_found', `No subscription ${id}.`);
    return subscription;
  }

  list(query: ListSubscriptionsQuery): Promise<Page<SubscriptionEntity>> {
    const qb = this.subscriptions.createQueryBuilder('s');
    if (query.customerId) qb.andWhere('s.customerId = :customerId', { customerId: query.customerId });
    if (query.status) qb.andWhere('s.status = :status', { status: query.status });
    return paginate(qb, query);
  }

  /** atPeriodEnd: keeps serving until the period ends (cancel_at_period_end); otherwise ends it now. */
  async cancel(id: string, operationId: string, dto: CancelSubscriptionDto): Promise<SubscriptionEntity> {
    const current = await this.get(id);
    assertNotOver(current);
    const options = { idempotencyKey: `subscriptions.cancel:${id}:${operationId}` };
    let sub: Stripe.Subscription;
    if (dto.atPeriodEnd) {
      // Stripe only lets an incomplete subscription change its metadata, and it has no paid period to run out.
      if (current.status === 'incomplete') {
        throw new ProblemException(
          409,
          'subscription_not_cancelable',
          'An incomplete subscription has no paid period to finish: cancel it now (atPeriodEnd false).',
          {
            subscriptionStatus: current.status,
          },
        );
      }
      sub = await this.stripe.subscriptions.update(current.stripeSubscriptionId, { cancel_at_period_end: true }, options);
    } else {
      try {
        sub = await this.stripe.subscriptions.cancel(current.stripeSubscriptionId, {}, options);
      } catch (error) {
        // Stripe refuses to cancel it twice: it ended there without us hearing of it yet. Catch up, then say so.
        if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
        await this.syncFromStripe(id);
        assertNotOver(await this.get(id));
        throw error;
      }
    }
    await this.applyStripeSubscription(sub);
    return this.get(id);
  }

  /** Retrieves the subscription (with its latest invoice) from Stripe and applies it (`?sync=true`, reconciliation). */
  async syncFromStripe(id: string): Promise<ApplyResult> {
    const current = await this.get(id);
    const sub = await this.stripe.subscriptions.retrieve(current.stripeSubscriptionId, { expand: EXPAND });
    return this.applySubscription(sub, {}, await this.openIntentOf(sub));
  }

  /**
   * Mirrors a Stripe subscription into its row (webhooks, reconciliation, sync), in one conditional UPDATE
   * as payments do: never out of canceled/incomplete_expired, events older than the last applied
   * `eventCreated` skipped, same second: the later status wins; a fresh retrieve (no eventCreated) applies.
   * The latest_invoice_* columns belong to invoices (applyStripeInvoice): an unexpanded latest_invoice only
   * names the invoice when none is known yet.
   */
  applyStripeSubscription(sub: Stripe.Subscription, opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.applySubscription(sub, opts);
  }

  /** Updates the latest invoice of the subscription it bills, unless a newer invoice (or state of it) is stored. */
  async applyStripeInvoice(invoice: Stripe.Invoice, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const subscriptionId = invoiceSubscriptionId(invoice);
    if (!subscriptionId) return 'foreign'; // a one-off invoice: no subscription of ours
    return this.applyInvoice(
      opts.manager ?? this.subscriptions.manager,
      subscriptionId,
      invoice,
      null,
      false,
      localIdOf(invoice.parent?.subscription_details?.metadata),
      opts.eventCreated,
    );
  }

  /**
   * The subscription row (subscriptionMirror, order-safe: see StripeMirror) and, when the object embeds it,
   * its latest invoice, in one transaction. The invoice goes first so the subscription's domain events
   * carry the row as GET will show it.
   */
  private applySubscription(sub: Stripe.Subscription, opts: ApplyOptions, intent?: Stripe.PaymentIntent | null): Promise<ApplyResult> {
    const invoice = this.invoiceWriter(sub, intent ?? null, opts.eventCreated === undefined, opts.eventCreated);
    const run = async (m: EntityManager) => {
      await invoice?.(m);
      return this.mirror.apply(sub, { ...opts, manager: m, afterInsert: invoice });
    };
    return opts.manager ? run(opts.manager) : this.subscriptions.manager.transaction(run);
  }

  private invoiceWriter(sub: Stripe.Subscription, intent: Stripe.PaymentIntent | null, authoritative: boolean, eventCreated?: number) {
    const latest = sub.latest_invoice;
    if (!latest || typeof latest !== 'object') return undefined;
    return (m: EntityManager) => this.applyInvoice(m, sub.id, latest, intent, authoritative, undefined, eventCreated);
  }

  private async applyInvoice(
    m: EntityManager,
    subscriptionId: string,
    invoice: Stripe.Invoice,
    intent: Stripe.PaymentIntent | null,
    authoritative: boolean,
    localId?: string,
    eventCreated?: number,
  ): Promise<ApplyResult> {
    const [rows]: [Array<{ id: string }>, number] = await m.query(
      APPLY_INVOICE_SQL,
      invoiceParams(subscriptionId, invoiceState(invoice, intent), authoritative, eventCreated),
    );
    if (rows.length) return 'applied';
    if (await m.getRepository(SubscriptionEntity).exists({ where: { stripeSubscriptionId: subscriptionId } })) return 'stale';
    return localId ? 'not_yet' : 'foreign';
  }

  /** The PaymentIntent of an open latest invoice, for its status (requires_payment_method after a decline, requires_action for 3-D Secure). */
  private async openIntentOf(sub: Stripe.Subscription): Promise<Stripe.PaymentIntent | null> {
    const invoice = sub.latest_invoice;
    if (!invoice || typeof invoice === 'string' || invoice.status !== 'open') return null;
    const intent = invoicePaymentIntent(invoice);
    if (!intent) return null;
    return typeof intent === 'string' ? this.stripe.paymentIntents.retrieve(intent) : intent;
  }
}

function assertNotOver(subscription: SubscriptionEntity): void {
  if (!FINAL_SUBSCRIPTION_STATUSES.includes(subscription.status)) return;
  throw new ProblemException(409, 'subscription_not_cancelable', `A subscription in status ${subscription.status} is already over.`, {
    subscriptionStatus: subscription.status,
  });
}
