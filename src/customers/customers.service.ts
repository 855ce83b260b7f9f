import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { Repository } from 'typeorm';
import { InjectStripe } from '@app/stripe';
import { ProblemException, UnknownReference } from '../common/errors/problem';
import { completeOperationIn } from '../common/idempotency/operation-context';
import { entityFromRow } from '../database/entity-from-row';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { paginate, Page } from '../common/http/pagination';
import { withLocalId } from '../common/stripe/stripe-metadata';
import { StripeMirror } from '../common/mirror/stripe-mirror';
import { customerMirror } from './customer.mirror';
import { CustomerEntity } from './customer.entity';
import { CreateCustomerDto } from './dto/create-customer.dto';
import { toCustomerResponse } from './dto/customer.response';
import { ListCustomersQuery } from './dto/list-customers.query';
import { UpdateCustomerDto } from './dto/update-customer.dto';

@Injectable()
export class CustomersService {
  private readonly mirror: StripeMirror<Stripe.Customer | Stripe.DeletedCustomer, CustomerEntity>;

  constructor(
    @InjectRepository(CustomerEntity) private readonly customers: Repository<CustomerEntity>,
    @InjectStripe() private readonly stripe: Stripe,
  ) {
    this.mirror = new StripeMirror(customerMirror(stripe), customers.manager);
  }

  /**
   * `id` is the operation id: the same on a retry with the same Idempotency-Key, so the Stripe call
   * replays (same Stripe key) and the upsert converges on the same row.
   */
  async create(id: string, dto: CreateCustomerDto): Promise<CustomerEntity> {
    const customer = await this.stripe.customers.create(
      {
        email: dto.email,
        name: dto.name,
        phone: dto.phone,
        description: dto.description,
        metadata: withLocalId(dto.metadata, id),
        test_clock: dto.testClock,
      },
      { idempotencyKey: `customers.create:${id}` },
    );
    const created =
      (await this.mirror.createInOneStatement(id, customer, {})) ??
      (await this.mirror.create(id, customer, {}, { onWritten: (m, c) => completeOperationIn(m, toCustomerResponse(c)) }));
    return created ?? this.get(id);
  }

  async get(id: string): Promise<CustomerEntity> {
    // A raw read hydrated through the entity metadata: several times cheaper than findOneBy on the hot path.
    const [row] = await this.customers.query(`SELECT * FROM customers WHERE id = $1`, [id]);
    const customer = row ? entityFromRow(this.customers, row) : null;
    if (!customer) throw new ProblemException(404, 'customer_not_found', `No customer ${id}.`);
    return customer;
  }

  /** A live (not deleted) customer, for operations that need one: payments check this before calling Stripe. */
  async getActive(id: string, field = 'customerId'): Promise<CustomerEntity> {
    const customer = await this.customers.findOneBy({ id });
    if (!customer) throw new UnknownReference('customer_not_found', field, `No customer ${id}.`);
    if (customer.deletedAt) throw new ProblemException(409, 'customer_deleted', `Customer ${id} was deleted.`);
    return customer;
  }

  list(query: ListCustomersQuery): Promise<Page<CustomerEntity>> {
    const qb = this.customers.createQueryBuilder('c');
    if (query.email) qb.andWhere('c.email = :email', { email: query.email });
    return paginate(qb, query);
  }

  async update(id: string, dto: UpdateCustomerDto): Promise<CustomerEntity> {
    const current = await this.get(id);
    if (current.deletedAt) throw new ProblemException(409, 'customer_deleted', `Customer ${id} was deleted.`);
    const updated = await this.stripe.customers.update(current.stripeCustomerId, {
      email: dto.email,
      name: dto.name,
      phone: dto.phone,
      description: dto.description,
      metadata: dto.metadata,
      invoice_settings: dto.defaultPaymentMethod ? { default_payment_method: dto.defaultPaymentMethod } : undefined,
    });
    await this.applyStripeCustomer(updated);
    return this.get(id);
  }

  async remove(id: string): Promise<CustomerEntity> {
    const current = await this.get(id);
    if (current.deletedAt) return current;
    try {
      await this.stripe.customers.del(current.stripeCustomerId);
    } catch (error) {
      // Already gone at Stripe (deleted there, or by an earlier attempt that lost its answer): same outcome.
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing')) throw error;
    }
    await this.applyStripeCustomer({ id: current.stripeCustomerId, object: 'customer', deleted: true });
    return this.get(id);
  }

  /**
   * Mirrors a Stripe customer into its row and emits its domain events (webhooks, reconciliation, our own
   * updates): customerMirror declares it, StripeMirror enforces order safety (a deletion is final).
   */
  applyStripeCustomer(customer: Stripe.Customer | Stripe.DeletedCustomer, opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.mirror.apply(customer, opts);
  }
}
