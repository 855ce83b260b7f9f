import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { InjectStripe } from '@app/stripe';
import { ProblemException, UnknownReference } from '../common/errors/problem';
import { completeOperationIn } from '../common/idempotency/operation-context';
import { entityFromRow } from '../database/entity-from-row';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { paginate, Page } from '../common/http/pagination';
import { localIdOf, withLocalId } from '../common/stripe/stripe-metadata';
import { transactionWithRetry } from '../common/database/transaction-retry';
import { StripeMirror } from '../common/mirror/stripe-mirror';
import { refundMirror } from './refund.mirror';
import { CreateRefundDto } from './dto/create-refund.dto';
import { ListRefundsQuery } from './dto/list-refunds.query';
import { toRefundResponse } from './dto/refund.response';
import { RefundEntity } from './refund.entity';

interface LockedPayment {
  id: string;
  stripe_payment_intent_id: string;
  status: string;
  amount_received: string;
  currency: string;
}

/** A reservation older than this, with no refund at Stripe and no request holding its key, is an orphan. */
const ORPHAN_RESERVATION_SECONDS = 600;

@Injectable()
export class RefundsService {
  private readonly mirror: StripeMirror<Stripe.Refund, RefundEntity>;

  constructor(
    @InjectRepository(RefundEntity) private readonly refunds: Repository<RefundEntity>,
    @InjectDataSource() private readonly db: DataSource,
    @InjectStripe() private readonly stripe: Stripe,
  ) {
    this.mirror = new StripeMirror(refundMirror(stripe), refunds.manager);
  }

  /**
   * Reserve, then call Stripe. The reservation (a `pending` row without Stripe id) is written while the
   * payment row is locked, so two concurrent refunds can never together exceed what was received.
   * A definitive Stripe refusal releases it; an unknown outcome (5xx, timeout) keeps it, and a retry
   * with the same Idempotency-Key (same operation id, same Stripe key) completes it.
   */
  async create(id: string, dto: CreateRefundDto): Promise<RefundEntity> {
    const { payment, refund } = await this.db.transaction((m) => this.reserve(m, id, dto));
    let created: Stripe.Refund;
    try {
      created = await this.stripe.refunds.create(
        {
          payment_intent: payment.stripe_payment_intent_id,
          amount: refund.amount,
          reason: dto.reason,
          metadata: withLocalId(dto.metadata, id),
        },
        { idempotencyKey: `refunds.create:${id}` },
      );
    } catch (error) {
      if (isDefinitiveRefusal(error)) await this.refunds.query(`DELETE FROM refunds WHERE id = $1 AND stripe_refund_id IS NULL`, [id]);
      throw error;
    }
    await this.applyStripeRefund(created, {}, (m, refund) => completeOperationIn(m, toRefundResponse(refund)));
    return this.get(id);
  }

  async get(id: string): Promise<RefundEntity> {
    // A raw read hydrated through the entity metadata: several times cheaper than findOneBy on the hot path.
    const [row] = await this.refunds.query(`SELECT * FROM refunds WHERE id = $1`, [id]);
    const refund = row ? entityFromRow(this.refunds, row) : null;
    if (!refund) throw new ProblemException(404, 'refund_not_found', `No refund ${id}.`);
    return refund;
  }

  list(query: ListRefundsQuery): Promise<Page<RefundEntity>> {
    const qb = this.refunds.createQueryBuilder('r');
    if (query.paymentId) qb.andWhere('r.paymentId = :paymentId', { paymentId: query.paymentId });
    return paginate(qb, query);
  }

  /** Retrieves the refund from Stripe and applies it (reconciliation). A reservation is looked up by our id in metadata. */
  async syncFromStripe(refundId: string): Promise<ApplyResult> {
    const refund = await this.get(refundId);
    if (refund.stripeRefundId) return this.applyStripeRefund(await this.stripe.refunds.retrieve(refund.stripeRefundId));
    const [payment] = await this.db.query(`SELECT stripe_payment_intent_id FROM payments WHERE id = $1`, [refund.paymentId]);
    for await (const candidate of this.stripe.refunds.list({ payment_intent: payment.stripe_payment_intent_id, limit: 100 })) {
      if (localIdOf(candidate.metadata) === refundId) return this.applyStripeRefund(candidate);
    }
    // Not at Stripe: the call never got there (or was refused without us hearing it). Once no request can
    // still be running for it, the reservation is released; a later retry with the same Idempotency-Key
    // simply reserves again and creates the refund under the same Stripe key.
    const [released] = await this.refunds.query(
      `DELETE FROM refunds r WHERE r.id = $1 AND r.stripe_refund_id IS NULL AND r.created_at < now() - make_interval(secs => $2)
         AND NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.id = r.id AND k.locked_until > now())
       RETURNING r.id`,
      [refundId, ORPHAN_RESERVATION_SECONDS],
    );
    return released.length ? 'applied' : 'not_yet';
  }

  /**
   * Mirrors a Stripe refund into its row (refundMirror, order-safe: see StripeMirror) and recomputes the
   * payment's amountRefunded (sum of succeeded and pending refunds known to Stripe) in the same
   * transaction. failed and canceled are final; succeeded may still become failed (Stripe does that).
   */
  async applyStripeRefund(
    refund: Stripe.Refund,
    opts: ApplyOptions = {},
    /** Runs in the same transaction once the row is written (our own API path completes its idempotency record). */
    onApplied?: (m: EntityManager, refund: RefundEntity) => Promise<void>,
  ): Promise<ApplyResult> {
    // Lock order: the payment, then its refund, everywhere (reserve() and this). Locking the refund first and
    // the payment in recomputeAmountRefunded deadlocked our create's write against a worker batch that had
    // applied another refund of the same payment (holding the payment) and then wanted this refund's row.
    // NO KEY UPDATE: it orders us against every other writer of the payment, yet lets a concurrent INSERT of a
    // refund row (its foreign key takes KEY SHARE on the payment) go ahead.
    const intent = typeof refund.payment_intent === 'string' ? refund.payment_intent : refund.payment_intent?.id;
    const apply = async (m: EntityManager) => {
      if (intent) await m.query(`SELECT 1 FROM payments WHERE stripe_payment_intent_id = $1 FOR NO KEY UPDATE`, [intent]);
      return this.mirror.apply(refund, {
        ...opts,
        manager: m,
        onWritten: async (tx, written) => {
          await this.recomputeAmountRefunded(tx, written.paymentId);
          await onApplied?.(tx, written);
        },
      });
    };
    return opts.manager ? apply(opts.manager) : transactionWithRetry(this.db, apply);
  }

  private async reserve(m: EntityManager, id: string, dto: CreateRefundDto): Promise<{ payment: LockedPayment; refund: RefundEntity }> {
    const [payment]: LockedPayment[] = await m.query(
      `SELECT id, stripe_payment_intent_id, status, amount_received, currency FROM payments WHERE id = $1 FOR UPDATE`,
      [dto.paymentId],
    );
    if (!payment) throw new UnknownReference('payment_not_found', 'paymentId', `No payment ${dto.paymentId}.`);
    const existing = await m.getRepository(RefundEntity).findOneBy({ id });
    if (existing) return { payment, refund: existing }; // a retry of this very operation: already reserved
    if (payment.status !== 'succeeded') {
      throw new ProblemException(
        409,
        'payment_not_refundable',
        `Only a succeeded payment can be refunded; this one is ${payment.status}.`,
        { paymentStatus: payment.status },
      );
    }
    const [{ reserved }] = await m.query(
      `SELECT coalesce(sum(amount), 0)::bigint AS reserved FROM refunds WHERE payment_id = $1 AND status NOT IN ('failed', 'canceled')`,
      [payment.id],
    );
    const refundable = Number(payment.amount_received) - Number(reserved);
    if (refundable <= 0)
      throw new ProblemException(
        409,
        'payment_fully_refunded',
        'Everything received for this payment is already refunded (or being refunded).',
        { refundableAmount: 0 },
      );
    const amount = dto.amount ?? refundable;
    if (amount > refundable) {
      throw new ProblemException(409, 'refund_exceeds_refundable', `At most ${refundable} can still be refunded.`, {
        refundableAmount: refundable,
      });
    }
    const refund = m.getRepository(RefundEntity).create({
      id,
      stripeRefundId: null,
      paymentId: payment.id,
      amount,
      currency: payment.currency,
      status: 'pending',
      reason: dto.reason ?? null,
      failureReason: null,
      metadata: dto.metadata ?? {},
    });
    await m.getRepository(RefundEntity).insert(refund);
    return { payment, refund };
  }

  private async recomputeAmountRefunded(m: EntityManager, paymentId: string): Promise<void> {
    // Lock first, then sum in a NEW statement: its snapshot then includes every refund committed by
    // transactions that held the lock before us (a sum inside the UPDATE would use a snapshot taken
    // before the wait, and concurrent refunds would overwrite each other's totals).
    await m.query(`SELECT 1 FROM payments WHERE id = $1 FOR UPDATE`, [paymentId]);
    await m.query(
      `UPDATE payments SET amount_refunded = (
         SELECT coalesce(sum(amount), 0) FROM refunds WHERE payment_id = $1 AND stripe_refund_id IS NOT NULL AND status IN ('succeeded', 'pending')
       ), updated_at = now() WHERE id = $1`,
      [paymentId],
    );
  }
}

/** Stripe answered and said no: nothing was created, so the reservation can go. */
function isDefinitiveRefusal(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError ||
    error instanceof Stripe.errors.StripeCardError ||
    error instanceof Stripe.errors.StripeIdempotencyError ||
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError
  );
}
