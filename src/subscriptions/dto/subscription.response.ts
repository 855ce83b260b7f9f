import { ApiProperty } from '@nestjs/swagger';
import { SUBSCRIPTION_STATUSES } from '../subscription.entity';
import type { SubscriptionEntity } from '../subscription.entity';

export class LatestInvoiceResponse {
  @ApiProperty({ example: 'in_1QzX1aB2cD3eF4g' })
  id: string;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['draft', 'open', 'paid', 'uncollectible', 'void'],
    example: 'open',
    description: 'open: waiting for payment (after a decline too)',
  })
  status: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 1500,
    description: 'Minor units (null until the invoice itself has been seen, only its id)',
  })
  amountDue: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'usd' })
  currency: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'requires_payment_method',
    description:
      "Status of the invoice's PaymentIntent when known: requires_payment_method (new or declined card), requires_action (3-D Secure), succeeded",
  })
  paymentStatus: string | null;
}

export class SubscriptionResponse {
  @ApiProperty({ format: 'uuid', example: '6c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6' })
  id: string;

  @ApiProperty({ example: 'sub_1QzX1aB2cD3eF4g' })
  stripeSubscriptionId: string;

  @ApiProperty({ format: 'uuid' })
  customerId: string;

  @ApiProperty({ enum: SUBSCRIPTION_STATUSES, example: 'active', description: "Stripe's subscription status, verbatim" })
  status: string;

  @ApiProperty({ example: 'price_1QzX1aB2cD3eF4g' })
  priceId: string;

  @ApiProperty({ example: 1 })
  quantity: number;

  @ApiProperty({ example: false, description: 'Ends (status canceled) when the current period ends' })
  cancelAtPeriodEnd: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  currentPeriodEnd: string | null;

  @ApiProperty({ type: LatestInvoiceResponse, nullable: true })
  latestInvoice: LatestInvoiceResponse | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'pi_3QzX1aB2cD3eF4g_secret_abc',
    description:
      'While the latest invoice is open: the client secret of its PaymentIntent, for Stripe.js confirmCardPayment on the front end. Never logged',
  })
  clientSecret: string | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { plan: 'pro' } })
  metadata: Record<string, string>;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  canceledAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export function toSubscriptionResponse(s: SubscriptionEntity): SubscriptionResponse {
  return {
    id: s.id,
    stripeSubscriptionId: s.stripeSubscriptionId,
    customerId: s.customerId,
    status: s.status,
    priceId: s.priceId,
    quantity: s.quantity,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    currentPeriodEnd: s.currentPeriodEnd?.toISOString() ?? null,
    latestInvoice: s.latestInvoiceId
      ? {
          id: s.latestInvoiceId,
          status: s.latestInvoiceStatus,
          amountDue: s.latestInvoiceAmountDue,
          currency: s.latestInvoiceCurrency,
          paymentStatus: s.latestInvoicePaymentStatus,
        }
      : null,
    clientSecret: s.clientSecret,
    metadata: s.metadata,
    canceledAt: s.canceledAt?.toISOString() ?? null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
