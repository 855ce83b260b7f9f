import { Column, Entity, Index } from 'typeorm';
import { MirroredRow } from '../common/mirror/mirrored-row';

@Entity('customers')
export class CustomerEntity extends MirroredRow {
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

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
