import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintAsNumber } from '../database/columns';

export const SETUP_INTENT_STATUSES = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'canceled',
  'succeeded',
] as const;

export interface LastSetupError {
  code: string | null;
  declineCode: string | null;
  message: string | null;
  paymentMethod: string | null;
}

/** A Stripe SetupIntent started here: saving a card for later charges, mirrored like payments. */
@Entity('setup_intents')
export class SetupIntentEntity {
  @PrimaryColumn('uuid')
  id: string;

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

  @Column({ name: 'stripe_event_created', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  stripeEventCreated: number | null;

  @Column({ name: 'stripe_synced_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  stripeSyncedAt: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
