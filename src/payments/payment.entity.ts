import { Column, Entity, Index } from 'typeorm';
import { MirroredRow } from '../common/mirror/mirrored-row';
import { bigintAsNumber } from '../database/columns';

/** Stripe's PaymentIntent statuses, in the order a payment normally moves through them. */
export const PAYMENT_STATUSES = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
] as const;

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface LastPaymentError {
  code: string | null;
  declineCode: string | null;
  message: string | null;
  /** The card that failed (pm_...): after an off-session authentication_required, confirm it again on-session. Absent on rows written before #13. */
  paymentMethod?: string | null;
}

@Entity('payments')
@Index('payments_customer_created_idx', ['customerId', 'createdAt'])
@Index('payments_status_updated_idx', ['status', 'updatedAt'])
export class PaymentEntity extends MirroredRow {
  @Index('payments_stripe_payment_intent_id_key', { unique: true })
  @Column({ name: 'stripe_payment_intent_id', type: 'text' })
  stripePaymentIntentId: string;

  @Column({ name: 'customer_id', type: 'uuid', nullable: true })
  customerId: string | null;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount: number;

  @Column({ name: 'amount_capturable', type: 'bigint', default: 0, transformer: bigintAsNumber })
  amountCapturable: number;

  @Column({ name: 'amount_received', type: 'bigint', default: 0, transformer: bigintAsNumber })
  amountReceived: number;

  @Column({ name: 'amount_refunded', type: 'bigint', default: 0, transformer: bigintAsNumber })
  amountRefunded: number;

  @Column({ type: 'text' })
  currency: string;

  @Column({ type: 'text' })
  status: PaymentStatus;

  @Column({ name: 'capture_method', type: 'text' })
  captureMethod: 'automatic' | 'manual';

  /** Handed to the caller for Stripe.js; never logged. */
  @Column({ name: 'client_secret', type: 'text', nullable: true })
  clientSecret: string | null;

  @Column({ name: 'next_action', type: 'jsonb', nullable: true })
  nextAction: Record<string, unknown> | null;

  @Column({ name: 'last_payment_error', type: 'jsonb', nullable: true })
  lastPaymentError: LastPaymentError | null;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'receipt_email', type: 'text', nullable: true })
  receiptEmail: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata: Record<string, string>;
}
