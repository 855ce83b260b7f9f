import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintAsNumber } from '../database/columns';

@Entity('customers')
export class CustomerEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Index('customers_stripe_customer_id_key', { unique: true })
  @Column({ name: 'stripe_customer_id', type: 'text' })
  stripeCustomerId: string;

  @Index('customers_email_idx')
  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata: Record<string, string>;

  /** Stripe's invoice_settings.default_payment_method (pm_...): charged off-session and by subscriptions. */
  @Column({ name: 'default_payment_method', type: 'text', nullable: true })
  defaultPaymentMethod: string | null;

  /** `created` of the last Stripe event applied (older events are ignored). */
  @Column({ name: 'stripe_event_created', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  stripeEventCreated: number | null;

  /** Stripe's time of the last fresh answer written here (our own call or a retrieve): events up to it are older. */
  @Column({ name: 'stripe_synced_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  stripeSyncedAt: number | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
