import { Column, Entity, Index } from 'typeorm';
import { MirroredRow } from '../common/mirror/mirrored-row';
import { bigintAsNumber } from '../database/columns';

export type RefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

@Entity('refunds')
@Index('refunds_payment_created_idx', ['paymentId', 'createdAt'])
export class RefundEntity extends MirroredRow {
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
}
