import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { Repository } from 'typeorm';
import { InjectStripe } from '@app/stripe';
import { ProblemException } from '../common/errors/problem';
import { completeOperationIn } from '../common/idempotency/operation-context';
import { entityFromRow } from '../database/entity-from-row';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { paginate, Page } from '../common/http/pagination';
import { stripeAnswerTime } from '../payments/stripe-freshness';
import { callerMetadata, localIdOf, withLocalId } from '../payments/stripe-metadata';
import { CustomerEntity } from './customer.entity';
import { CreateCustomerDto } from './dto/create-customer.dto';
import { toCustomerResponse } from './dto/customer.response';
import { ListCustomersQuery } from './dto/list-customers.query';
import { UpdateCustomerDto } from './dto/update-customer.dto';

@Injectable()
export class CustomersService {
  constructor(
    @InjectRepository(CustomerEntity) private readonly customers: Repository<CustomerEntity>,
    @InjectStripe() private readonly stripe: Stripe,
  ) {}

  /**
   * `id` is the operation id: the same on a retry with the same Idempotency-Key, so the Stripe call
   * replays (same Stripe key) and the upsert converges on the same row.
   */
  async create(id: string, dto: CreateCustomerDto): Promise<CustomerEntity> {
    const customer = await this.stripe.customers.create(
      { email: dto.email, name: dto.name, phone: dto.phone, description: dto.description, metadata: withLocalId(dto.metadata, id) },
      { idempotencyKey: `customers.create:${id}` },
    );
    return this.customers.manager.transaction(async (m) => {
      const [row] = await m.query(
        `INSERT INTO customers (id, stripe_customer_id, email, name, phone, description, metadata, stripe_synced_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
         ON CONFLICT (id) DO UPDATE SET stripe_customer_id = EXCLUDED.stripe_customer_id, stripe_synced_at = greatest(customers.stripe_synced_at, EXCLUDED.stripe_synced_at)
         RETURNING *`,
        [
          id,
          customer.id,
          dto.email,
          dto.name ?? null,
          dto.phone ?? null,
          dto.description ?? null,
          JSON.stringify(dto.metadata ?? {}),
          stripeAnswerTime(customer),
        ],
      );
      const created = entityFromRow(this.customers, row);
      await completeOperationIn(m, toCustomerResponse(created));
      return created;
    });
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
    if (!customer)
      throw new ProblemException(400, 'customer_not_found', `No customer ${id}.`, { errors: [{ field, message: 'no such customer' }] });
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
    await this.customers.query(`UPDATE customers SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL`, [id]);
    return this.get(id);
  }

  /**
   * Mirrors a Stripe customer into its row (webhooks, reconciliation, our own updates).
   * Order safety: one conditional UPDATE. A deletion is final (tombstone kept); an event older than the
   * last one applied, or not newer than the last fresh answer written (stripe_synced_at), is skipped;
   * a fresh answer (no eventCreated) always applies to a live row.
   */
  async applyStripeCustomer(customer: Stripe.Customer | Stripe.DeletedCustomer, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const ev = opts.eventCreated ?? null;
    if ('deleted' in customer && customer.deleted) {
      const rows: unknown[] = await this.customers.query(
        `UPDATE customers SET deleted_at = coalesce(deleted_at, now()), updated_at = now(),
           stripe_event_created = greatest(stripe_event_created, $2::bigint)
         WHERE stripe_customer_id = $1 RETURNING id`,
        [customer.id, ev],
      );
      return rowCount(rows) ? 'applied' : 'foreign';
    }
    const live = customer as Stripe.Customer;
    const localId = localIdOf(live.metadata);
    const rows: unknown[] = await this.customers.query(
      `UPDATE customers SET email = coalesce($3, email), name = $4, phone = $5, description = $6, metadata = $7::jsonb,
         stripe_customer_id = $2, stripe_event_created = coalesce($8::bigint, stripe_event_created),
         stripe_synced_at = greatest(stripe_synced_at, $9::bigint), updated_at = now()
       WHERE (id = $1 OR stripe_customer_id = $2) AND deleted_at IS NULL
         AND ($8::bigint IS NULL OR stripe_event_created IS NULL OR stripe_event_created <= $8::bigint)
         AND ($8::bigint IS NULL OR stripe_synced_at IS NULL OR $8::bigint > stripe_synced_at)
       RETURNING id`,
      [
        localId ?? null,
        live.id,
        live.email,
        live.name ?? null,
        live.phone ?? null,
        live.description ?? null,
        JSON.stringify(callerMetadata(live.metadata)),
        ev,
        ev === null ? stripeAnswerTime(live) : null,
      ],
    );
    if (rowCount(rows)) return 'applied';
    const exists = await this.customers.exists({
      where: localId ? [{ id: localId }, { stripeCustomerId: live.id }] : { stripeCustomerId: live.id },
    });
    if (exists) return 'stale';
    return localId ? 'not_yet' : 'foreign';
  }
}

// The pg driver answers an UPDATE ... RETURNING through TypeORM as [rows, count].
function rowCount(result: unknown[]): number {
  return Array.isArray(result[0]) ? (result[0] as unknown[]).length : result.length;
}
