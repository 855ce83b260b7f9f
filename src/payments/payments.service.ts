import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { EntityManager, Repository } from 'typeorm';
import { InjectStripe, stripeErrorToProblem } from '@app/stripe';
import { ProblemException } from '../common/errors/problem';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { completeOperationIn } from '../common/idempotency/operation-context';
import { preparedQuery } from '../database/prepared-query';
import { CustomersService } from '../customers/customers.service';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { CancelPaymentDto, CapturePaymentDto, ConfirmPaymentDto, ListPaymentsQuery } from './dto/payment-actions.dto';
import { toPaymentResponse } from './dto/payment.response';
import { paginate, Page } from '../common/http/pagination';
import { PaymentEntity } from './payment.entity';
import { entityFromRow } from '../database/entity-from-row';
import { CANCELABLE, CONFIRMABLE } from './payment-intent-state';
import { paymentMirror } from './payment.mirror';
import { StripeMirror } from '../common/mirror/stripe-mirror';
import { stripeAnswerTime } from '../common/stripe/stripe-freshness';
import { withLocalId } from '../common/stripe/stripe-metadata';

@Injectable()
export class PaymentsService {
  private readonly mirror: StripeMirror<Stripe.PaymentIntent, PaymentEntity>;

  constructor(
    @InjectRepository(PaymentEntity) private readonly payments: Repository<PaymentEntity>,
    @InjectStripe() private readonly stripe: Stripe,
    private readonly customers: CustomersService,
  ) {
    this.mirror = new StripeMirror(paymentMirror(stripe), payments.manager);
  }

  /** `id` is the operation id: a retry with the same Idempotency-Key reuses the Stripe key and converges on one row. */
  async create(id: string, dto: CreatePaymentDto): Promise<PaymentEntity> {
    const customer = dto.customerId ? await this.customers.getActive(dto.customerId) : null;
    if (dto.offSession && (!dto.confirm || !customer)) {
      throw new ProblemException(400, 'validation_failed', 'offSession needs confirm and a customerId.', {
        errors: [{ field: dto.confirm ? 'customerId' : 'confirm', message: 'is required when offSession is true' }],
      });
    }
    const paymentMethod = dto.paymentMethod ?? (dto.offSession ? customer?.defaultPaymentMethod : undefined) ?? undefined;
    if (dto.confirm && !paymentMethod) {
      const message = dto.offSession ? 'is required: the customer has no default payment method' : 'is required when confirm is true';
      throw new ProblemException(400, 'validation_failed', `confirm needs a paymentMethod.`, {
        errors: [{ field: 'paymentMethod', message }],
      });
    }
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: dto.amount,
          currency: dto.currency,
          customer: customer?.stripeCustomerId,
          payment_method: paymentMethod,
          off_session: dto.offSession,
          setup_future_usage: dto.setupFutureUsage,
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
      const answeredAt = stripeAnswerTime(intent);
      return (
        (await this.mirror.createInOneStatement(id, intent, { customer_id: customer?.id ?? null }, answeredAt)) ??
        (await this.upsert(id, customer?.id ?? null, intent, answeredAt, null))
      );
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
    // Bringing the customer back after an off-session decline: the card that needed them is retried on-session.
    const paymentMethod = dto.paymentMethod ?? payment.lastPaymentError?.paymentMethod ?? undefined;
    if (payment.status === 'requires_payment_method' && !paymentMethod) {
      throw new ProblemException(400, 'validation_failed', 'This payment has no payment method yet.', {
        errors: [{ field: 'paymentMethod', message: 'is required' }],
      });
    }
    try {
      const intent = await this.stripe.paymentIntents.confirm(
        payment.stripePaymentIntentId,
        { payment_method: paymentMethod, return_url: dto.returnUrl },
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
   * Mirrors a Stripe PaymentIntent into its row and emits the payment's domain events (webhooks,
   * reconciliation, sync): see StripeMirror for the order-safety rules and paymentMirror for the declaration.
   */
  applyStripePaymentIntent(intent: Stripe.PaymentIntent, opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.mirror.apply(intent, opts);
  }

  /** Many PaymentIntent events in the caller's transaction (the inbox worker's batches): see StripeMirror.applyEvents. */
  applyStripePaymentIntentEvents(
    manager: EntityManager,
    items: Array<{ object: Stripe.PaymentIntent; eventCreated: number }>,
  ): Promise<Array<ApplyResult | undefined>> {
    return this.mirror.applyEvents(manager, items);
  }

  /**
   * Writes what Stripe answered to our own call: creates the row on first sight, else the same guarded
   * apply. A successful call also completes the request's idempotency record in the same transaction.
   */
  private async upsert(
    id: string,
    customerId: string | null,
    intent: Stripe.PaymentIntent,
    answeredAt: number,
    current: PaymentEntity | null,
    completesOperation = true,
  ): Promise<PaymentEntity> {
    // The answer is the row as this write left it, which is what the idempotency record holds: a webhook
    // applied right after must not make the first answer differ from its replays.
    let written: PaymentEntity | undefined;
    const onWritten = async (m: EntityManager, payment: PaymentEntity) => {
      written = payment;
      if (completesOperation) await completeOperationIn(m, toPaymentResponse(payment));
    };
    if (!current) {
      const created = await this.mirror.create(id, intent, { customer_id: customerId }, { answeredAt, onWritten });
      // No row back: the stored state is newer or final (a webhook got there first); answer with it.
      return created ?? this.get(id);
    }
    await this.mirror.apply(intent, { answeredAt, onWritten });
    // Nothing written (the stored state is newer or final): answer with the stored row.
    return written ?? this.get(id);
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
