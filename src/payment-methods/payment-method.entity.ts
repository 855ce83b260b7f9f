import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintAsNumber } from '../database/columns';

/** What a customer may see of a saved card: enough to recognise it, never enough to use it. */
export interface CardSummary {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  funding: string | null;
  country: string | null;
}

/** A Stripe PaymentMethod attached to one of our customers, mirrored from payment_method.* events. */
@Entity('payment_methods')
export class PaymentMethodEntity {
  /** Stripe's id (pm_...): the object lives at Stripe, this row only mirrors it. */
  @PrimaryColumn('text')
  id: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'jsonb', nullable: true })
  card: CardSummary | null;

  @Column({ name: 'stripe_event_created', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  stripeEventCreated: number | null;

  /** Stripe's time of the last fresh answer written here (a retrieve): events up to it are older. */
  @Column({ name: 'stripe_synced_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  stripeSyncedAt: number | null;

  @Column({ name: 'detached_at', type: 'timestamptz', nullable: true })
  detachedAt: Date | null;

  /** Stripe's `created` of the PaymentMethod. */
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
