import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintAsNumber } from '../database/columns';

export type RefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

@Entity('refunds')
@Index('refunds_payment_created_idx', ['paymentId', 'createdAt'])
export class RefundEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Index('refunds_stripe_refund_id_key', { unique: true })
  /** Null while the refund is reserved here and not yet created at Stripe. */
  @Column({ name: 'stripe_refund_id', type: 'text', nullable: true })
  stripeRefundId: string | null;

  @Column({ name: 'payment_id', type: 'uuid' })
  paymentId: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount: number;

  @Column({ type: 'text' })
  currency: string;

  @Column({ type: 'text' })
  status: RefundStatus;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata: Record<string, string>;

  /** `created` of the last Stripe event applied (older events are ignored). */
  @Column({ name: 'stripe_event_created', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  stripeEventCreated: number | null;

  /** Stripe's time of the last fresh answer written here (our own call or a retrieve): events up to it are older. */
  @Column({ name: 'stripe_synced_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  stripeSyncedAt: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
