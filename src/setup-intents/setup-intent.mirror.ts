import type Stripe from 'stripe';
import type { MirrorDeclaration, MirrorEventSpec } from '../common/mirror/mirror-declaration';
import { callerMetadata } from '../common/stripe/stripe-metadata';
import { toSetupIntentResponse } from './dto/setup-intent.dto';
import { LastSetupError, SETUP_INTENT_STATUSES, SetupIntentEntity } from './setup-intent.entity';

export const FINAL_SETUP_INTENT_STATUSES = ['succeeded', 'canceled'];

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

function lastSetupError(si: Stripe.SetupIntent): LastSetupError | null {
  const e = si.last_setup_error;
  if (!e) return null;
  return {
    code: e.code ?? null,
    declineCode: e.decline_code ?? null,
    message: e.message ?? null,
    paymentMethod: e.payment_method?.id ?? null,
  };
}

/** setup_intent.succeeded once, when the card is saved (the one state a consumer acts on). */
export function setupIntentEvents(previous: SetupIntentEntity | null, next: SetupIntentEntity): MirrorEventSpec[] {
  if (next.status !== 'succeeded' || previous?.status === 'succeeded') return [];
  return [{ type: 'setup_intent.succeeded', previous: previous ? { status: previous.status } : null }];
}

/** How a SetupIntent is mirrored into `setup_intents`: the payments' rules, declared rather than copied. */
export function setupIntentMirror(stripe: Stripe): MirrorDeclaration<Stripe.SetupIntent, SetupIntentEntity> {
  return {
    entity: SetupIntentEntity,
    table: 'setup_intents',
    objectType: 'setup_intent',
    stripeIdColumn: 'stripe_setup_intent_id',
    state: (si) => ({
      stripe_setup_intent_id: si.id,
      status: si.status,
      usage: si.usage,
      client_secret: si.client_secret ?? null,
      payment_method: idOf(si.payment_method),
      next_action: si.next_action ?? null,
      last_setup_error: lastSetupError(si),
      metadata: callerMetadata(si.metadata),
    }),
    jsonColumns: ['next_action', 'last_setup_error', 'metadata'],
    keepWhenNull: ['client_secret'],
    statusOrder: SETUP_INTENT_STATUSES,
    finalStatuses: FINAL_SETUP_INTENT_STATUSES,
    // customer_id is required: an intent of a customer we do not know (yet) waits.
    adopt: async (si, m) => {
      const customer = idOf(si.customer);
      const [row]: Array<{ id: string }> = customer
        ? await m.query(`SELECT id FROM customers WHERE stripe_customer_id = $1`, [customer])
        : [];
      return row ? { customer_id: row.id } : null;
    },
    retrieve: (id) => stripe.setupIntents.retrieve(id),
    response: toSetupIntentResponse,
    events: setupIntentEvents,
  };
}
