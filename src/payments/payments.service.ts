import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { Repository } from 'typeorm';
import { InjectStripe, stripeErrorToProblem } from '@app/stripe';
import { ProblemException } from '../common/errors/problem';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { canonicalJson } from '../common/idempotency/canonical-json';
import { completeOperationIn, operationContext } from '../common/idempotency/operation-context';
import { preparedQuery } from '../database/prepared-query';
import { CustomersService } from '../customers/customers.service';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { CancelPaymentDto, CapturePaymentDto, ConfirmPaymentDto, ListPaymentsQuery } from './dto/payment-actions.dto';
import { toPaymentResponse } from './dto/payment.response';
import { paginate, Page } from '../common/http/pagination';
import { PaymentEntity } from './payment.entity';
import { entityFromRow } from '../database/entity-from-row';
import {
  CANCELABLE,
  CONFIRMABLE,
  FINAL_PAYMENT_STATUSES,
  PAYMENT_STATE_COLUMNS,
  paymentState,
  paymentStateValues,
  paymentWriteGuard,
  statePlaceholder,
} from './payment-intent-state';
import { stripeAnswerTime } from './stripe-freshness';
import { localIdOf, withLocalId } from './stripe-metadata';

const STATE_PARAMS = PAYMENT_STATE_COLUMNS.length; // 13

@Injectable()
export class PaymentsService {
  constructor(
    @InjectRepository(PaymentEntity) private readonly payments: Repository<PaymentEntity>,
    @InjectStripe() private readonly stripe: Stripe,
    private readonly customers: CustomersService,
  ) {}

  /** `id` is the operation id: a retry with the same Idempotency-Key reuses the Stripe key and converges on one row. */
  async create(id: string, dto: CreatePaymentDto): Promise<PaymentEntity> {
    const customer = dto.customerId ? await this.customers.getActive(dto.customerId) : null;
    if (dto.confirm && !dto.paymentMethod) {
      throw new ProblemException(400, 'validation_failed', 'confirm needs a paymentMethod.', {
        errors: [{ field: 'paymentMethod', message: 'is required when confirm is true' }],
      });
    }
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: dto.amount,
          currency: dto.currency,
          customer: customer?.stripeCustomerId,
          payment_method: dto.paymentMethod,
          // Without a return URL only methods that need no redirect can work (cards, 3-D Secure included).
          automatic_payment_methods: dto.returnUrl ? undefined : { enabled: true, allow_redirects: 'never' },
          confirm: dto.confirm,
          capture_method: dto.captureMethod,
          description: dto.description,
          receipt_email: dto.receiptEmail,
          return_url: dto.confirm ? dto.returnUrl : undefined,
          metadata: withLocalId(dto.metadata, id),
        },
        { idempotencyKey: `payments.create:${id}` },
      );
      return await this.upsert(id, customer?.id ?? null, intent, stripeAnswerTime(intent), null);
    } catch (error) {
      await this.recordDecline(error, id, customer?.id ?? null, null);
      throw error;
    }
  }

  async get(id: string): Promise<PaymentEntity> {
    // A raw read hydrated through the entity metadata: several times cheaper than findOneBy on the hot path.
    const [row] = await preparedQuery(this.payments.manager.connection, 'payments_get', `SELECT * FROM payments WHERE id = $1`, [id]);
    const payment = row ? entityFromRow(this.payments, row) : null;
    if (!payment) throw new ProblemException(404, 'payment_not_found', `No payment ${id}.`);
    return payment;
  }

  list(query: ListPaymentsQuery): Promise<Page<PaymentEntity>> {
    const qb = this.payments.createQueryBuilder('p');
    if (query.customerId) qb.andWhere('p.customerId = :customerId', { customerId: query.customerId });
    if (query.status) qb.andWhere('p.status = :status', { status: query.status });
    return paginate(qb, query);
  }

  async confirm(id: string, operationId: string, dto: ConfirmPaymentDto): Promise<PaymentEntity> {
    const payment = await this.get(id);
    this.assertStatus(payment, CONFIRMABLE, 'confirmed');
    if (payment.status === 'requires_payment_method' && !dto.paymentMethod) {
      throw new ProblemException(400, 'validation_failed', 'This payment has no payment method yet.', {
        errors: [{ field: 'paymentMethod', message: 'is required' }],
      });
    }
    try {
      const intent = await this.stripe.paymentIntents.confirm(
        payment.stripePaymentIntentId,
        { payment_method: dto.paymentMethod, return_url: dto.returnUrl },
        { idempotencyKey: `payments.confirm:${id}:${operationId}` },
      );
      return await this.upsert(id, payment.customerId, intent, stripeAnswerTime(intent), payment);
    } catch (error) {
      await this.recordDecline(error, id, payment.customerId, payment);
      throw error;
    }
  }

  async capture(id: string, operationId: string, dto: CapturePaymentDto): Promise<PaymentEntity> {
    const payment = await this.get(id);
    this.assertStatus(payment, ['requires_capture'], 'captured');
    if (dto.amount !== undefined && dto.amount > payment.amountCapturable) {
      throw new ProblemException(400, 'validation_failed', `At most ${payment.amountCapturable} can be captured.`, {
        errors: [{ field: 'amount', message: `must be at most amountCapturable (${payment.amountCapturable})` }],
      });
    }
    const intent = await this.stripe.paymentIntents.capture(
      payment.stripePaymentIntentId,
      { amount_to_capture: dto.amount },
      { idempotencyKey: `payments.capture:${id}:${operationId}` },
    );
    return this.upsert(id, payment.customerId, intent, stripeAnswerTime(intent), payment);
  }

  async cancel(id: string, operationId: string, dto: CancelPaymentDto): Promise<PaymentEntity> {
    const payment = await this.get(id);
    this.assertStatus(payment, CANCELABLE, 'canceled');
    const intent = await this.stripe.paymentIntents.cancel(
      payment.stripePaymentIntentId,
      { cancellation_reason: dto.reason },
      { idempotencyKey: `payments.cancel:${id}:${operationId}` },
    );
    return this.upsert(id, payment.customerId, intent, stripeAnswerTime(intent), payment);
  }

  /** Retrieves the intent from Stripe and applies it (used by `?sync=true` and by reconciliation). */
  async syncFromStripe(paymentId: string): Promise<ApplyResult> {
    const payment = await this.get(paymentId);
    return this.applyStripePaymentIntent(await this.stripe.paymentIntents.retrieve(payment.stripePaymentIntentId));
  }

  /**
   * Mirrors a Stripe PaymentIntent into its row (webhooks, reconciliation, sync). Why one conditional
   * UPDATE: deliveries come out of order and from several instances at once, so the database decides.
   * It never leaves succeeded/canceled, skips events older than the last applied `eventCreated`
   * (same second: the status later in the normal order wins), and a fresh retrieve (no eventCreated)
   * always applies except out of a final status. amountRefunded is owned by refunds, not touched here.
   */
  async applyStripePaymentIntent(intent: Stripe.PaymentIntent, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const localId = localIdOf(intent.metadata) ?? null;
    const sets = PAYMENT_STATE_COLUMNS.slice(1)
      .map(([, col], i) =>
        col === 'client_secret' ? `${col} = coalesce($${i + 3}, cur.${col})` : `${col} = ${statePlaceholder(col, i + 3)}`,
      )
      .join(', ');
    const ev = `$${STATE_PARAMS + 2}::bigint`;
    const synced = `$${STATE_PARAMS + 3}::bigint`;
    const [rows]: [Array<{ id: string }>, number] = await this.payments.query(
      `UPDATE payments AS cur SET ${sets}, stripe_event_created = coalesce(${ev}, cur.stripe_event_created),
         stripe_synced_at = greatest(cur.stripe_synced_at, ${synced}), updated_at = now()
       WHERE (cur.id = $1::uuid OR cur.stripe_payment_intent_id = $2) AND ${paymentWriteGuard('cur', '$7::text', ev)}
       RETURNING cur.id`,
      [
        localId,
        ...paymentStateValues(paymentState(intent)),
        opts.eventCreated ?? null,
        opts.eventCreated === undefined ? stripeAnswerTime(intent) : null,
      ],
    );
    if (rows.length) return 'applied';
    const stored = await this.payments.findOne({
      select: { status: true, stripeSyncedAt: true },
      where: localId ? [{ id: localId }, { stripePaymentIntentId: intent.id }] : { stripePaymentIntentId: intent.id },
    });
    if (!stored) return localId ? 'not_yet' : 'foreign';
    // An event of the very second of our last fresh answer cannot be ordered against it (a decline follows
    // requires_confirmation, a 3-D Secure completion follows requires_action): ask Stripe instead of guessing.
    const sameSecond = opts.eventCreated !== undefined && opts.eventCreated === stored.stripeSyncedAt;
    if (sameSecond && stored.status !== intent.status && !FINAL_PAYMENT_STATUSES.includes(stored.status)) {
      return this.applyStripePaymentIntent(await this.stripe.paymentIntents.retrieve(intent.id));
    }
    return 'stale';
  }

  /**
   * Writes what Stripe answered to our own call: creates the row on first sight, else the same guarded
   * update. For a successful call it also completes the request's idempotency record IN THE SAME
   * STATEMENT (one round trip, one commit): the response is computed beforehand from what the row will
   * hold, and the record is only completed if the written row matches it (else the interceptor does it).
   */
  private async upsert(
    id: string,
    customerId: string | null,
    intent: Stripe.PaymentIntent,
    answeredAt: number,
    current: PaymentEntity | null,
    completesOperation = true,
  ): Promise<PaymentEntity> {
    const state = paymentState(intent);
    const at = new Date();
    const createdAt = current?.createdAt ?? at;
    const expected = Object.assign(this.payments.create(), current ?? {}, state, {
      id,
      customerId: current ? current.customerId : customerId,
      amountRefunded: current?.amountRefunded ?? 0,
      clientSecret: state.clientSecret ?? current?.clientSecret ?? null,
      createdAt,
      updatedAt: at,
    });
    const columns = ['id', 'customer_id', 'stripe_synced_at', 'created_at', 'updated_at', ...PAYMENT_STATE_COLUMNS.map(([, col]) => col)];
    const placeholders = columns.map((col, i) => statePlaceholder(col, i + 1));
    const updates = PAYMENT_STATE_COLUMNS.slice(1)
      .map(([, col]) => `${col} = ${col === 'client_secret' ? `coalesce(EXCLUDED.${col}, payments.${col})` : `EXCLUDED.${col}`}`)
      .join(', ');
    const params: unknown[] = [id, customerId, answeredAt, at, at, ...paymentStateValues(state)];
    let sql = `INSERT INTO payments (${columns.join(', ')}) VALUES (${placeholders.join(', ')})
       ON CONFLICT (id) DO UPDATE SET ${updates}, stripe_synced_at = greatest(payments.stripe_synced_at, EXCLUDED.stripe_synced_at), updated_at = EXCLUDED.updated_at
       WHERE ${paymentWriteGuard('payments', 'EXCLUDED.status', 'NULL::bigint')}
       RETURNING *`;
    const operation = completesOperation ? operationContext.getStore() : undefined;
    const response = operation && !operation.completed ? toPaymentResponse(expected) : undefined;
    if (operation && response) {
      const n = params.length;
      sql = `WITH written AS (${sql}),
        completed AS (
          UPDATE idempotency_keys SET status = 'completed', locked_until = NULL, response_status = $${n + 1}, response_body = $${n + 2}::jsonb
          WHERE id = $${n + 3} AND status = 'in_progress'
            AND EXISTS (SELECT 1 FROM written w WHERE w.created_at = $${n + 4} AND w.amount_refunded = $${n + 5}
                          AND w.customer_id IS NOT DISTINCT FROM $${n + 6}::uuid AND w.client_secret IS NOT DISTINCT FROM $${n + 7})
          RETURNING 1)
        SELECT written.*, (SELECT count(*) FROM completed)::int AS operation_completed FROM written`;
      params.push(
        operation.successStatus,
        JSON.stringify(response),
        operation.operationId,
        createdAt,
        expected.amountRefunded,
        expected.customerId,
        expected.clientSecret,
      );
    }
    const rows = await preparedQuery(
      this.payments.manager.connection,
      response ? 'payments_upsert_complete' : 'payments_upsert',
      sql,
      params,
    );
    // No row back: the stored state is newer or final (a webhook got there first); answer with it.
    if (!rows.length) return this.get(id);
    const payment = entityFromRow(this.payments, rows[0]);
    if (operation && rows[0].operation_completed === 1) {
      operation.completed = true;
      // Safety net: should the row differ from what was predicted, store what is really answered.
      if (canonicalJson(toPaymentResponse(payment)) !== canonicalJson(response))
        await completeOperationIn(this.payments.manager, toPaymentResponse(payment), true);
    }
    return payment;
  }

  /** A decline is an answer about the intent: store what Stripe now says before the 402 goes out. */
  private async recordDecline(error: unknown, id: string, customerId: string | null, current: PaymentEntity | null): Promise<void> {
    if (!(error instanceof Stripe.errors.StripeCardError) || !error.payment_intent) return;
    await this.upsert(id, customerId, error.payment_intent, stripeAnswerTime(undefined, error.headers), current, false);
    const mapped = stripeErrorToProblem(error)!;
    const { type: _t, title: _ti, status, detail, code, ...extensions } = mapped.problem;
    throw new ProblemException(status, code, detail, { ...extensions, paymentId: id }, mapped.headers);
  }

  private assertStatus(payment: PaymentEntity, allowed: string[], verb: string): void {
    if (allowed.includes(payment.status)) return;
    throw new ProblemException(
      409,
      `payment_not_${verb === 'captured' ? 'capturable' : verb === 'canceled' ? 'cancelable' : 'confirmable'}`,
      `A payment in status ${payment.status} cannot be ${verb}; allowed from: ${allowed.join(', ')}.`,
      {
        paymentStatus: payment.status,
      },
    );
  }
}
