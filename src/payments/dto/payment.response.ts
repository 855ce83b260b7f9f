import { ApiProperty } from '@nestjs/swagger';
import { camelizeKeys } from '../../common/http/camelize';
import type { PaymentEntity } from '../payment.entity';
import { PAYMENT_STATUSES } from '../payment.entity';

export class LastPaymentErrorResponse {
  @ApiProperty({ type: String, nullable: true, example: 'card_declined' })
  code: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'insufficient_funds' })
  declineCode: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Your card has insufficient funds.' })
  message: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'pm_1QzX1aB2cD3eF4g',
    description: 'The card that failed; confirming without paymentMethod retries it (with returnUrl: on-session, 3-D Secure)',
  })
  paymentMethod?: string | null;
}

export class PaymentResponse {
  @ApiProperty({ format: 'uuid', example: '3a0d6c2e-5b7f-4f0e-9f6a-1c2b3d4e5f60' })
  id: string;

  @ApiProperty({ example: 'pi_3QzX1aB2cD3eF4g' })
  stripePaymentIntentId: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  customerId: string | null;

  @ApiProperty({ example: 2000, description: 'Minor units' })
  amount: number;

  @ApiProperty({ example: 0 })
  amountCapturable: number;

  @ApiProperty({ example: 2000 })
  amountReceived: number;

  @ApiProperty({ example: 500, description: 'Sum of succeeded and pending refunds' })
  amountRefunded: number;

  @ApiProperty({ example: 'usd' })
  currency: string;

  @ApiProperty({ enum: PAYMENT_STATUSES, example: 'succeeded', description: "Stripe's PaymentIntent status, verbatim" })
  status: string;

  @ApiProperty({ enum: ['automatic', 'manual'] })
  captureMethod: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'pi_3QzX1aB2cD3eF4g_secret_abc',
    description: 'For Stripe.js on the front end; never logged',
  })
  clientSecret: string | null;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    example: {
      type: 'redirect_to_url',
      redirectToUrl: { url: 'https://hooks.stripe.com/3d_secure_2/...', returnUrl: 'https://shop.example.com/done' },
    },
    description: 'What the customer must do next (3-D Secure), when status is requires_action',
  })
  nextAction: Record<string, unknown> | null;

  @ApiProperty({ type: LastPaymentErrorResponse, nullable: true })
  lastPaymentError: LastPaymentErrorResponse | null;

  @ApiProperty({ type: String, nullable: true, example: 'Order #1842' })
  description: string | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { orderId: '1842' } })
  metadata: Record<string, string>;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export function toPaymentResponse(p: PaymentEntity): PaymentResponse {
  return {
    id: p.id,
    stripePaymentIntentId: p.stripePaymentIntentId,
    customerId: p.customerId,
    amount: p.amount,
    amountCapturable: p.amountCapturable,
    amountReceived: p.amountReceived,
    amountRefunded: p.amountRefunded,
    currency: p.currency,
    status: p.status,
    captureMethod: p.captureMethod,
    clientSecret: p.clientSecret,
    nextAction: p.nextAction ? (camelizeKeys(p.nextAction) as Record<string, unknown>) : null,
    lastPaymentError: p.lastPaymentError,
    description: p.description,
    metadata: p.metadata,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
