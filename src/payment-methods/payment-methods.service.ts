import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { Repository } from 'typeorm';
import { InjectStripe } from '@app/stripe';
import { ProblemException } from '../common/errors/problem';
import { Page } from '../common/http/pagination';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { CustomersService } from '../customers/customers.service';
import { rowCount } from '../database/row-count';
import { ListPaymentMethodsQuery } from './dto/payment-method.response';
import { CardSummary, PaymentMethodEntity } from './payment-method.entity';

function cardSummary(pm: Stripe.PaymentMethod): CardSummary | null {
  const card = pm.card;
  if (!card) return null;
  return {
    brand: card.brand,
    last4: card.last4,
    expMonth: card.exp_month,
    expYear: card.exp_year,
    funding: card.funding ?? null,
    country: card.country ?? null,
  };
}

@Injectable()
export class PaymentMethodsService {
  constructor(
    @InjectRepository(PaymentMethodEntity) private readonly methods: Repository<PaymentMethodEntity>,
    @InjectStripe() private readonly stripe: Stripe,
    private readonly customers: CustomersService,
  ) {}

  /** The customer's saved cards, newest first, and which one is the default. */
  async list(customerId: string, query: ListPaymentMethodsQuery): Promise<{ page: Page<PaymentMethodEntity>; defaultId: string | null }> {
    const customer = await this.customers.get(customerId);
    const qb = this.methods
      .createQueryBuilder('pm')
      .where('pm.customer_id = :customerId AND pm.detached_at IS NULL', { customerId })
      .orderBy('pm.created_at', 'DESC')
      .addOrderBy('pm.id', 'DESC')
      .take(query.limit + 1);
    if (query.startingAfter) {
      const cursor = await this.methods.findOneBy({ id: query.startingAfter, customerId });
      if (!cursor)
        throw new ProblemException(400, 'invalid_cursor', 'startingAfter does not name a payment method of this customer.', {
          errors: [{ field: 'startingAfter', message: 'unknown id' }],
        });
      qb.andWhere('(pm.created_at, pm.id) < (:at, :id)', { at: cursor.createdAt, id: cursor.id });
    }
    const rows = await qb.getMany();
    const hasMore = rows.length > query.limit;
    const data = rows.slice(0, query.limit);
    return { page: { data, hasMore, nextCursor: hasMore ? data[data.length - 1].id : null }, defaultId: customer.defaultPaymentMethod };
  }

  /** Detaches a saved card at Stripe; the row becomes a tombstone (and stops being the default). */
  async detach(customerId: string, paymentMethodId: string): Promise<void> {
    const pm = await this.methods.findOneBy({ id: paymentMethodId, customerId });
    if (!pm || pm.detachedAt) {
      throw new ProblemException(404, 'payment_method_not_found', `Customer ${customerId} has no payment method ${paymentMethodId}.`);
    }
    try {
      await this.stripe.paymentMethods.detach(paymentMethodId, {}, { idempotencyKey: `payment_methods.detach:${paymentMethodId}` });
    } catch (error) {
      // Already detached at Stripe (an earlier attempt lost its answer): the same outcome.
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'payment_method_unexpected_state')) throw error;
    }
    await this.markDetached(paymentMethodId, null);
    // Stripe dropped it as the default too: its fresh answer outranks any older customer.updated still in flight.
    const customer = await this.customers.get(customerId);
    await this.customers.applyStripeCustomer(await this.stripe.customers.retrieve(customer.stripeCustomerId));
  }

  /** Stores a PaymentMethod Stripe just returned to our own call (a SetupIntent that succeeded). */
  async record(pm: Stripe.PaymentMethod): Promise<ApplyResult> {
    return this.applyStripePaymentMethod(pm);
  }

  /**
   * Mirrors payment_method.attached / updated / detached. Order safety: detaching is final (tombstone);
   * an event older than the last one applied is skipped; a PaymentMethod of a customer we do not know
   * is foreign.
   */
  async applyStripePaymentMethod(pm: Stripe.PaymentMethod, opts: ApplyOptions = {}, detached = false): Promise<ApplyResult> {
    if (detached || !pm.customer) return this.markDetached(pm.id, opts.eventCreated ?? null);
    const stripeCustomerId = typeof pm.customer === 'string' ? pm.customer : pm.customer.id;
    const rows: unknown[] = await this.methods.query(
      `INSERT INTO payment_methods AS cur (id, customer_id, type, card, stripe_event_created, created_at)
       SELECT $1, c.id, $3, $4::jsonb, $5::bigint, to_timestamp($6) FROM customers c WHERE c.stripe_customer_id = $2
       ON CONFLICT (id) DO UPDATE SET card = EXCLUDED.card, customer_id = EXCLUDED.customer_id,
         stripe_event_created = coalesce(EXCLUDED.stripe_event_created, cur.stripe_event_created), updated_at = now()
       WHERE cur.detached_at IS NULL
         AND (EXCLUDED.stripe_event_created IS NULL OR cur.stripe_event_created IS NULL OR cur.stripe_event_created <= EXCLUDED.stripe_event_created)
       RETURNING cur.id`,
      [pm.id, stripeCustomerId, pm.type, JSON.stringify(cardSummary(pm)), opts.eventCreated ?? null, pm.created],
    );
    if (rowCount(rows)) return 'applied';
    return (await this.methods.exists({ where: { id: pm.id } })) ? 'stale' : 'foreign';
  }

  private async markDetached(id: string, eventCreated: number | null): Promise<ApplyResult> {
    const rows: unknown[] = await this.methods.query(
      `UPDATE payment_methods SET detached_at = now(), updated_at = now(), stripe_event_created = coalesce($2::bigint, stripe_event_created)
       WHERE id = $1 AND detached_at IS NULL RETURNING customer_id`,
      [id, eventCreated],
    );
    if (!rowCount(rows)) return (await this.methods.exists({ where: { id } })) ? 'stale' : 'foreign';
    await this.methods.query(`UPDATE customers SET default_payment_method = NULL, updated_at = now() WHERE default_payment_method = $1`, [
      id,
    ]);
    return 'applied';
  }
}
