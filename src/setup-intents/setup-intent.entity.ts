import { Column, Entity } from 'typeorm';
import { MirroredRow } from '../common/mirror/mirrored-row';

/** Stripe's SetupIntent statuses, in the order an intent moves through them (the mirror's same-second tie-break). */
export const SETUP_INTENT_STATUSES = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'succeeded',
  'canceled',
] as const;

export interface LastSetupError {
  code: string | null;
  declineCode: string | null;
  message: string | null;
  paymentMethod: string | null;
}

/** A Stripe SetupIntent started here: saving a card for later charges, mirrored like payments. */
@Entity('setup_intents')
export class SetupIntentEntity extends MirroredRow {
  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @Column({ name: 'stripe_setup_intent_id', type: 'text' })
  stripeSetupIntentId: string;

  @Column({ type: 'text' })
  status: string;

  @Column({ type: 'text' })
  usage: string;

  @Column({ name: 'client_secret', type: 'text', nullable: true })
  clientSecret: string | null;

  @Column({ name: 'payment_method', type: 'text', nullable: true })
  paymentMethod: string | null;

  @Column({ name: 'next_action', type: 'jsonb', nullable: true })
  nextAction: Record<string, unknown> | null;

  @Column({ name: 'last_setup_error', type: 'jsonb', nullable: true })
  lastSetupError: LastSetupError | null;

  @Column({ type: 'jsonb' })
  metadata: Record<string, string>;
}
