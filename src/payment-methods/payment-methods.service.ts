import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { EntityManager, Repository } from 'typeorm';
import { InjectStripe } from '@app/stripe';
import { ProblemException } from '../common/errors/problem';
import { Page } from '../common/http/pagination';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { CustomerEntity } from '../customers/customer.entity';
import { CustomersService } from '../customers/customers.service';
import { toCustomerResponse } from '../customers/dto/customer.response';
import { entityFromRow } from '../database/entity-from-row';
import { recordDomainEvents } from '../events/domain-event';
import { StripeMirror } from '../common/mirror/stripe-mirror';
import { ListPaymentMethodsQuery } from './dto/payment-method.response';
import { PaymentMethodEntity } from './payment-method.entity';
import { paymentMethodMirror } from './payment-method.mirror';

@Injectable()
export class PaymentMethodsService {
  private readonly mirror: StripeMirror<Stripe.PaymentMethod, PaymentMethodEntity>;

  constructor(
    @InjectRepository(PaymentMethodEntity) private readonly methods: Repository<PaymentMethodEntity>,
    @InjectStripe() private readonly stripe: Stripe,
    private readonly customers: CustomersService,
  ) {
    this.mirror = new StripeMirror(paymentMethodMirror(stripe), methods.manager);
  }

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
    let detached: Stripe.PaymentMethod;
    try {
      detached = await this.stripe.paymentMethods.detach(
        paymentMethodId,
        {},
        { idempotencyKey: `payment_methods.detach:${paymentMethodId}` },
      );
    } catch (error) {
      // Already detached at Stripe (an earlier attempt lost its answer): the same outcome.
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'payment_method_unexpected_state')) throw error;
      detached = await this.stripe.paymentMethods.retrieve(paymentMethodId);
    }
    await this.applyStripePaymentMethod(detached);
    // Stripe dropped it as the default too: its fresh answer outranks any older customer.updated still in flight.
    const customer = await this.customers.get(customerId);
    await this.customers.applyStripeCustomer(await this.stripe.customers.retrieve(customer.stripeCustomerId));
  }

  /**
   * Mirrors a PaymentMethod (payment_method.* events, our own retrieves) and records payment_method.attached
   * / detached with the change. A detached card stops being its customer's default in the same transaction.
   */
  applyStripePaymentMethod(pm: Stripe.PaymentMethod, opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.mirror.apply(pm, { ...opts, onWritten: unsetDefaultIfDetached });
  }
}

/** The customer's row changes with the card, so its customer.updated is recorded with it (same transaction). */
async function unsetDefaultIfDetached(m: EntityManager, pm: PaymentMethodEntity): Promise<void> {
  if (!pm.detachedAt) return;
  const [rows]: [Array<Record<string, unknown>>, number] = await m.query(
    `UPDATE customers SET default_payment_method = NULL, updated_at = now() WHERE id = $1 AND default_payment_method = $2 RETURNING *`,
    [pm.customerId, pm.id],
  );
  if (rows.length === 0) return;
  const customer = entityFromRow(m.getRepository(CustomerEntity), rows[0]);
  await recordDomainEvents(m, [
    { type: 'customer.updated', objectType: 'customer', objectId: customer.id, object: toCustomerResponse(customer) },
  ]);
}
