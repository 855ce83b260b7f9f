import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { EntityManager, Repository } from 'typeorm';
import { InjectStripe, stripeErrorToProblem } from '@app/stripe';
import { ProblemException } from '../common/errors/problem';
import { completeOperationIn } from '../common/idempotency/operation-context';
import { StripeMirror } from '../common/mirror/stripe-mirror';
import type { ApplyOptions, ApplyResult } from '../common/stripe-sync';
import { CustomersService } from '../customers/customers.service';
import { PaymentMethodsService } from '../payment-methods/payment-methods.service';
import { stripeAnswerTime } from '../common/stripe/stripe-freshness';
import { withLocalId } from '../common/stripe/stripe-metadata';
import { ConfirmSetupIntentDto, CreateSetupIntentDto, toSetupIntentResponse } from './dto/setup-intent.dto';
import { SetupIntentEntity } from './setup-intent.entity';
import { setupIntentMirror } from './setup-intent.mirror';

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

/**
 * SetupIntents save a card for later (off-session) charges. Rows follow the payments' rules through the
 * mirror mechanism (setupIntentMirror): our own calls write Stripe's fresh answer, setup_intent.* events
 * apply order-safely, and setup_intent.succeeded is recorded in the transaction that makes the change.
 */
@Injectable()
export class SetupIntentsService {
  private readonly mirror: StripeMirror<Stripe.SetupIntent, SetupIntentEntity>;

  constructor(
    @InjectRepository(SetupIntentEntity) private readonly intents: Repository<SetupIntentEntity>,
    @InjectStripe() private readonly stripe: Stripe,
    private readonly customers: CustomersService,
    private readonly paymentMethods: PaymentMethodsService,
  ) {
    this.mirror = new StripeMirror(setupIntentMirror(stripe), intents.manager);
  }

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
    return this.write(id, customer.id, call, true);
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
    return this.write(id, current.customerId, call, false);
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
    return this.write(id, current.customerId, call, false);
  }

  async syncFromStripe(id: string): Promise<ApplyResult> {
    const current = await this.get(id);
    return this.applyStripeSetupIntent(await this.stripe.setupIntents.retrieve(current.stripeSetupIntentId));
  }

  /** Mirrors a SetupIntent (webhooks, ?sync=true); a succeeded one also stores the card it saved. */
  async applyStripeSetupIntent(si: Stripe.SetupIntent, opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.mirror.apply(si, { ...opts, onWritten: await this.savedCardWriter(si, opts.manager) });
  }

  /** Runs our Stripe call and writes its answer; a decline (402) is stored before it goes out as a problem. */
  private async write(id: string, customerId: string, call: Promise<Stripe.SetupIntent>, isNew: boolean): Promise<SetupIntentEntity> {
    let si: Stripe.SetupIntent;
    try {
      si = await call;
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeCardError) || !error.setup_intent) throw error;
      await this.store(id, customerId, error.setup_intent, stripeAnswerTime(undefined, error.headers), isNew, false);
      const { problem, headers } = stripeErrorToProblem(error)!;
      const { type: _t, title: _ti, status, detail, code, ...extensions } = problem;
      throw new ProblemException(status, code, detail, { ...extensions, setupIntentId: id }, headers);
    }
    // The row as this write left it, which is what the idempotency record holds: a webhook applied right
    // after must not make the first answer differ from its replays. Nothing written (a webhook got there
    // first with newer news): the stored row.
    return (await this.store(id, customerId, si, stripeAnswerTime(si), isNew, true)) ?? this.get(id);
  }

  /** Our own call's answer: a new row on create (or the same apply if a webhook adopted it first), else the guarded apply. */
  private async store(
    id: string,
    customerId: string,
    si: Stripe.SetupIntent,
    answeredAt: number,
    isNew: boolean,
    completes: boolean,
  ): Promise<SetupIntentEntity | undefined> {
    const savesCard = await this.savedCardWriter(si);
    let written: SetupIntentEntity | undefined;
    const onWritten = async (m: EntityManager, row: SetupIntentEntity) => {
      await savesCard(m, row);
      written = row;
      if (completes) await completeOperationIn(m, toSetupIntentResponse(row));
    };
    if (isNew) await this.mirror.create(id, si, { customer_id: customerId }, { answeredAt, onWritten });
    else await this.mirror.apply(si, { answeredAt, onWritten });
    return written;
  }

  /**
   * The card a succeeded setup saved is written before the setup (in the caller's transaction if any, as
   * a webhook batch has), so whoever sees the setup succeeded finds the card in the customer's list. Not
   * inside the setup's own write: our API call would then hold the setup's row while waiting for the
   * card's, and a worker batch that took the card first and then the setup would deadlock with it. Only a
   * success learnt inside the write (a same-second event re-fetched from Stripe) records its card there.
   */
  private async savedCardWriter(
    si: Stripe.SetupIntent,
    manager?: EntityManager,
  ): Promise<(m: EntityManager, row: SetupIntentEntity) => Promise<void>> {
    const pmId = idOf(si.payment_method);
    const known = si.status === 'succeeded' && pmId ? await this.stripe.paymentMethods.retrieve(pmId) : null;
    if (known) await this.paymentMethods.applyStripePaymentMethod(known, { manager });
    return async (m, row) => {
      if (known || row.status !== 'succeeded' || !row.paymentMethod) return;
      await this.paymentMethods.applyStripePaymentMethod(await this.stripe.paymentMethods.retrieve(row.paymentMethod), { manager: m });
    };
  }
}
