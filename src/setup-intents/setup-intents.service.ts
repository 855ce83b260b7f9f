import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { Repository } from 'typeorm';
import { InjectStripe, stripeErrorToProblem } from '@app/stripe';
import { ProblemException } from '../common/errors/problem';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { CustomersService } from '../customers/customers.service';
import { rowCount } from '../database/row-count';
import { PaymentMethodsService } from '../payment-methods/payment-methods.service';
import { stripeAnswerTime } from '../payments/stripe-freshness';
import { callerMetadata, localIdOf, withLocalId } from '../payments/stripe-metadata';
import { ConfirmSetupIntentDto, CreateSetupIntentDto } from './dto/setup-intent.dto';
import { LastSetupError, SetupIntentEntity } from './setup-intent.entity';

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const ORDER = `ARRAY['requires_payment_method','requires_confirmation','requires_action','processing','succeeded','canceled']::text[]`;

function lastSetupError(si: Stripe.SetupIntent): LastSetupError | null {
  const e = si.last_setup_error;
  if (!e) return null;
  const pm = e.payment_method;
  return { code: e.code ?? null, declineCode: e.decline_code ?? null, message: e.message ?? null, paymentMethod: pm?.id ?? null };
}

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

/**
 * SetupIntents save a card for later (off-session) charges. Rows follow the payments' rules: our own
 * calls write Stripe's fresh answer; setup_intent.* events apply under one guarded UPDATE (never out of
 * succeeded/canceled, never older than the last event or fresh answer applied).
 * TODO(apply): becomes a declaration on the shared mirroring mechanism once it is on main.
 */
@Injectable()
export class SetupIntentsService {
  constructor(
    @InjectRepository(SetupIntentEntity) private readonly intents: Repository<SetupIntentEntity>,
    @InjectStripe() private readonly stripe: Stripe,
    private readonly customers: CustomersService,
    private readonly paymentMethods: PaymentMethodsService,
  ) {}

  async create(id: string, dto: CreateSetupIntentDto): Promise<SetupIntentEntity> {
    const customer = await this.customers.getActive(dto.customerId);
    if (dto.confirm && !dto.paymentMethod) {
      throw new ProblemException(400, 'validation_failed', 'confirm needs a paymentMethod.', {
        errors: [{ field: 'paymentMethod', message: 'is required when confirm is true' }],
      });
    }
    const call = this.stripe.setupIntents.create(
      {
        customer: customer.stripeCustomerId,
        payment_method: dto.paymentMethod,
        confirm: dto.confirm,
        usage: dto.usage ?? 'off_session',
        return_url: dto.confirm ? dto.returnUrl : undefined,
        // Without a return URL only methods that need no redirect can work (cards, 3-D Secure included).
        automatic_payment_methods: dto.returnUrl ? undefined : { enabled: true, allow_redirects: 'never' },
        metadata: withLocalId(dto.metadata, id),
      },
      { idempotencyKey: `setup_intents.create:${id}` },
    );
    return this.write(id, customer.id, call);
  }

  async get(id: string): Promise<SetupIntentEntity> {
    const found = await this.intents.findOneBy({ id });
    if (!found) throw new ProblemException(404, 'setup_intent_not_found', `No setup intent ${id}.`);
    return found;
  }

  async confirm(id: string, operationId: string, dto: ConfirmSetupIntentDto): Promise<SetupIntentEntity> {
    const current = await this.get(id);
    if (!CONFIRMABLE.includes(current.status)) {
      throw new ProblemException(409, 'setup_intent_not_confirmable', `A setup intent in status ${current.status} cannot be confirmed.`, {
        setupIntentStatus: current.status,
      });
    }
    const call = this.stripe.setupIntents.confirm(
      current.stripeSetupIntentId,
      { payment_method: dto.paymentMethod, return_url: dto.returnUrl },
      { idempotencyKey: `setup_intents.confirm:${id}:${operationId}` },
    );
    return this.write(id, current.customerId, call);
  }

  async cancel(id: string, operationId: string): Promise<SetupIntentEntity> {
    const current = await this.get(id);
    if (!CONFIRMABLE.includes(current.status)) {
      throw new ProblemException(409, 'setup_intent_not_cancelable', `A setup intent in status ${current.status} cannot be canceled.`, {
        setupIntentStatus: current.status,
      });
    }
    const call = this.stripe.setupIntents.cancel(
      current.stripeSetupIntentId,
      {},
      { idempotencyKey: `setup_intents.cancel:${id}:${operationId}` },
    );
    return this.write(id, current.customerId, call);
  }

  async syncFromStripe(id: string): Promise<ApplyResult> {
    const current = await this.get(id);
    return this.applyStripeSetupIntent(await this.stripe.setupIntents.retrieve(current.stripeSetupIntentId));
  }

  /** Mirrors a SetupIntent (webhooks, ?sync=true); a succeeded one also stores the card it saved. */
  async applyStripeSetupIntent(si: Stripe.SetupIntent, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const localId = localIdOf(si.metadata) ?? null;
    const ev = opts.eventCreated ?? null;
    // The card first: whoever sees the setup succeeded finds it in the customer's list.
    await this.recordSavedCard(si);
    const rows: unknown[] = await this.intents.query(
      `UPDATE setup_intents AS cur SET status = $3, payment_method = $4, next_action = $5::jsonb, last_setup_error = $6::jsonb,
         metadata = $7::jsonb, client_secret = coalesce($8, cur.client_secret), stripe_setup_intent_id = $2,
         stripe_event_created = coalesce($9::bigint, cur.stripe_event_created),
         stripe_synced_at = greatest(cur.stripe_synced_at, $10::bigint), updated_at = now()
       WHERE (cur.id = $1::uuid OR cur.stripe_setup_intent_id = $2)
         AND (cur.status NOT IN ('succeeded','canceled') OR cur.status = $3)
         AND ($9::bigint IS NULL OR cur.stripe_synced_at IS NULL OR $9::bigint > cur.stripe_synced_at)
         AND ($9::bigint IS NULL OR cur.stripe_event_created IS NULL OR $9::bigint > cur.stripe_event_created
              OR ($9::bigint = cur.stripe_event_created AND array_position(${ORDER}, $3) >= array_position(${ORDER}, cur.status)))
       RETURNING cur.id`,
      [...this.stateValues(localId, si), ev, ev === null ? stripeAnswerTime(si) : null],
    );
    if (rowCount(rows)) return 'applied';
    const stored = await this.intents.findOne({
      select: { status: true, stripeSyncedAt: true },
      where: localId ? [{ id: localId }, { stripeSetupIntentId: si.id }] : { stripeSetupIntentId: si.id },
    });
    if (!stored) return localId ? 'not_yet' : 'foreign';
    // Same second as our last fresh answer and another non-final status: only Stripe can order them.
    const sameSecond = ev !== null && ev === stored.stripeSyncedAt;
    if (sameSecond && stored.status !== si.status && !['succeeded', 'canceled'].includes(stored.status)) {
      return this.applyStripeSetupIntent(await this.stripe.setupIntents.retrieve(si.id));
    }
    return 'stale';
  }

  /** Runs our Stripe call and writes its answer; a decline (402) is stored before it goes out as a problem. */
  private async write(id: string, customerId: string, call: Promise<Stripe.SetupIntent>): Promise<SetupIntentEntity> {
    let si: Stripe.SetupIntent;
    try {
      si = await call;
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeCardError) || !error.setup_intent) throw error;
      await this.upsert(id, customerId, error.setup_intent, stripeAnswerTime(undefined, error.headers));
      const { problem, headers } = stripeErrorToProblem(error)!;
      const { type: _t, title: _ti, status, detail, code, ...extensions } = problem;
      throw new ProblemException(status, code, detail, { ...extensions, setupIntentId: id }, headers);
    }
    await this.recordSavedCard(si);
    await this.upsert(id, customerId, si, stripeAnswerTime(si));
    return this.get(id);
  }

  private async upsert(id: string, customerId: string, si: Stripe.SetupIntent, answeredAt: number): Promise<void> {
    await this.intents.query(
      `INSERT INTO setup_intents AS cur (id, stripe_setup_intent_id, status, payment_method, next_action, last_setup_error, metadata,
         client_secret, customer_id, usage, stripe_synced_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, payment_method = EXCLUDED.payment_method,
         next_action = EXCLUDED.next_action, last_setup_error = EXCLUDED.last_setup_error, metadata = EXCLUDED.metadata,
         client_secret = coalesce(EXCLUDED.client_secret, cur.client_secret),
         stripe_synced_at = greatest(cur.stripe_synced_at, EXCLUDED.stripe_synced_at), updated_at = now()
       WHERE cur.status NOT IN ('succeeded','canceled') OR cur.status = EXCLUDED.status`,
      [...this.stateValues(id, si), customerId, si.usage, answeredAt],
    );
  }

  private stateValues(localId: string | null, si: Stripe.SetupIntent): unknown[] {
    const error = lastSetupError(si);
    return [
      localId,
      si.id,
      si.status,
      idOf(si.payment_method),
      si.next_action ? JSON.stringify(si.next_action) : null,
      error ? JSON.stringify(error) : null,
      JSON.stringify(callerMetadata(si.metadata)),
      si.client_secret ?? null,
    ];
  }

  /** The saved card shows in the customer's list at once, without waiting for payment_method.attached. */
  private async recordSavedCard(si: Stripe.SetupIntent): Promise<void> {
    const pmId = idOf(si.payment_method);
    if (si.status !== 'succeeded' || !pmId) return;
    await this.paymentMethods.record(await this.stripe.paymentMethods.retrieve(pmId));
  }
}
