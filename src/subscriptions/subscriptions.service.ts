import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { Repository } from 'typeorm';
import { InjectStripe } from '@app/stripe';
import { stripeAnswerTime } from '../payments/stripe-freshness';
import { ProblemException } from '../common/errors/problem';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { CustomersService } from '../customers/customers.service';
import { paginate, Page } from '../common/http/pagination';
import { localIdOf, withLocalId } from '../payments/stripe-metadata';
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
  SUBSCRIPTION_STATE_COLUMNS,
  subscriptionStateValues,
  subscriptionWriteGuard,
} from './subscription-state';

// The confirmation secret replaced `latest_invoice.payment_intent` (API 2025-03-31); both are includable, so expanded.
const EXPAND = ['latest_invoice.confirmation_secret', 'latest_invoice.payments'];
const STATE_PARAMS = SUBSCRIPTION_STATE_COLUMNS.length; // 8

@Injectable()
export class SubscriptionsService {
  constructor(
    @InjectRepository(SubscriptionEntity) private readonly subscriptions: Repository<SubscriptionEntity>,
    @InjectStripe() private readonly stripe: Stripe,
    private readonly customers: CustomersService,
  ) {}

  /**
   * `id` is the operation id: a retry with the same Idempotency-Key reuses the Stripe key, so Stripe
   * answers with the same subscription and the insert converges on the same row.
   * Without a payment method the first invoice waits for the front end (default_incomplete + client
   * secret); with one it is charged at once (allow_incomplete: a decline answers incomplete, not an error).
   */
  async create(id: string, dto: CreateSubscriptionDto): Promise<SubscriptionEntity> {
    const customer = await this.customers.get(dto.customerId);
    if (customer.deletedAt) throw new ProblemException(409, 'customer_deleted', `Customer ${customer.id} was deleted.`);
    const sub = await this.stripe.subscriptions.create(
      {
        customer: customer.stripeCustomerId,
        items: [{ price: dto.priceId, quantity: dto.quantity ?? 1 }],
        default_payment_method: dto.paymentMethod,
        payment_behavior: dto.paymentMethod ? 'allow_incomplete' : 'default_incomplete',
        // The card the customer confirms the first invoice with pays the renewals too.
        payment_settings: { save_default_payment_method: 'on_subscription' },
        trial_period_days: dto.trialPeriodDays,
        metadata: withLocalId(dto.metadata, id),
        expand: EXPAND,
      },
      { idempotencyKey: `subscriptions.create:${id}` },
    );
    const columns = ['id', 'customer_id', ...SUBSCRIPTION_STATE_COLUMNS];
    const placeholders = columns.map((col, i) => `$${i + 1}${col === 'metadata' ? '::jsonb' : ''}`);
    await this.subscriptions.query(
      `INSERT INTO subscriptions (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) ON CONFLICT (id) DO NOTHING`,
      [id, customer.id, ...subscriptionStateValues(sub)],
    );
    await this.applySubscription(sub, {}, await this.openIntentOf(sub));
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
      subscriptionId,
      invoice,
      null,
      false,
      localIdOf(invoice.parent?.subscription_details?.metadata),
      opts.eventCreated,
    );
  }

  private async applySubscription(
    sub: Stripe.Subscription,
    opts: ApplyOptions,
    intent?: Stripe.PaymentIntent | null,
  ): Promise<ApplyResult> {
    const localId = localIdOf(sub.metadata) ?? null;
    const latest = sub.latest_invoice;
    const sets = SUBSCRIPTION_STATE_COLUMNS.slice(1)
      .map((col, i) => `${col} = $${i + 3}${col === 'metadata' ? '::jsonb' : ''}`)
      .join(', ');
    const ev = `$${STATE_PARAMS + 2}::bigint`;
    const fresh = opts.eventCreated === undefined;
    const [rows]: [Array<{ id: string }>, number] = await this.subscriptions.query(
      `UPDATE subscriptions AS cur SET ${sets}, stripe_event_created = coalesce(${ev}, cur.stripe_event_created),
         stripe_synced_at = greatest(cur.stripe_synced_at, $${STATE_PARAMS + 4}::bigint),
         latest_invoice_id = coalesce(cur.latest_invoice_id, $${STATE_PARAMS + 3}::text), updated_at = now()
       WHERE (cur.id = $1::uuid OR cur.stripe_subscription_id = $2) AND ${subscriptionWriteGuard('cur', '$3::text', ev)}
       RETURNING cur.id`,
      [
        localId,
        ...subscriptionStateValues(sub),
        opts.eventCreated ?? null,
        typeof latest === 'string' ? latest : (latest?.id ?? null),
        fresh ? stripeAnswerTime(sub) : null,
      ],
    );
    if (latest && typeof latest === 'object') await this.applyInvoice(sub.id, latest, intent ?? null, fresh, undefined, opts.eventCreated);
    if (rows.length) return 'applied';
    const stored = await this.subscriptions.findOne({
      select: { status: true, stripeSyncedAt: true },
      where: localId ? [{ id: localId }, { stripeSubscriptionId: sub.id }] : { stripeSubscriptionId: sub.id },
    });
    if (!stored) return localId ? 'not_yet' : 'foreign';
    // An event of the very second of our last fresh answer cannot be ordered against it: ask Stripe.
    const sameSecond = !fresh && opts.eventCreated === stored.stripeSyncedAt;
    if (sameSecond && stored.status !== sub.status && !['canceled', 'incomplete_expired'].includes(stored.status)) {
      const current = await this.stripe.subscriptions.retrieve(sub.id, { expand: EXPAND });
      return this.applySubscription(current, {}, await this.openIntentOf(current));
    }
    return 'stale';
  }

  private async applyInvoice(
    subscriptionId: string,
    invoice: Stripe.Invoice,
    intent: Stripe.PaymentIntent | null,
    authoritative: boolean,
    localId?: string,
    eventCreated?: number,
  ): Promise<ApplyResult> {
    const [rows]: [Array<{ id: string }>, number] = await this.subscriptions.query(
      APPLY_INVOICE_SQL,
      invoiceParams(subscriptionId, invoiceState(invoice, intent), authoritative, eventCreated),
    );
    if (rows.length) return 'applied';
    if (await this.subscriptions.exists({ where: { stripeSubscriptionId: subscriptionId } })) return 'stale';
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
