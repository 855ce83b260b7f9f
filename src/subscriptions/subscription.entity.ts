import { Column, Entity, Index } from 'typeorm';
import { MirroredRow } from '../common/mirror/mirrored-row';
import { bigintAsNumber } from '../database/columns';

/** Stripe's subscription statuses, in the order a subscription normally moves through them (finals last). */
export const SUBSCRIPTION_STATUSES = [
  'incomplete',
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'paused',
  'canceled',
  'incomplete_expired',
] as const;

export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

@Entity('subscriptions')
@Index('subscriptions_customer_created_idx', ['customerId', 'createdAt'])
@Index('subscriptions_status_updated_idx', ['status', 'updatedAt'])
export class SubscriptionEntity extends MirroredRow {
  @Index('subscriptions_stripe_subscription_id_key', { unique: true })
  @Column({ name: 'stripe_subscription_id', type: 'text' })
  stripeSubscriptionId: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId: string;

  @Column({ type: 'text' })
  status: SubscriptionStatus;

  /** Stripe price id (price_...): the catalog lives in Stripe. */
  @Column({ name: 'price_id', type: 'text' })
  priceId: string;

  @Column({ type: 'int' })
  quantity: number;

  @Column({ name: 'cancel_at_period_end', type: 'boolean', default: false })
  cancelAtPeriodEnd: boolean;

  @Column({ name: 'current_period_end', type: 'timestamptz', nullable: true })
  currentPeriodEnd: Date | null;

  @Column({ name: 'latest_invoice_id', type: 'text', nullable: true })
  latestInvoiceId: string | null;

  @Column({ name: 'latest_invoice_status', type: 'text', nullable: true })
  latestInvoiceStatus: string | null;

  @Column({ name: 'latest_invoice_amount_due', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  latestInvoiceAmountDue: number | null;

  @Column({ name: 'latest_invoice_currency', type: 'text', nullable: true })
  latestInvoiceCurrency: string | null;

  /** Status of the latest invoice's PaymentIntent when known (requires_payment_method after a decline, ...). */
  @Column({ name: 'latest_invoice_payment_status', type: 'text', nullable: true })
  latestInvoicePaymentStatus: string | null;

  /** `created` of the latest invoice: an older invoice never replaces a newer one. */
  @Column({ name: 'latest_invoice_created', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  latestInvoiceCreated: number | null;

  /** Client secret of the latest invoice's PaymentIntent while it is open (for Stripe.js); never logged. */
  @Column({ name: 'client_secret', type: 'text', nullable: true })
  clientSecret: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata: Record<string, string>;

  @Column({ name: 'canceled_at', type: 'timestamptz', nullable: true })
  canceledAt: Date | null;
}
