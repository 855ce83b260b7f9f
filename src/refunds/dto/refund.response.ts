import { ApiProperty } from '@nestjs/swagger';
import type { RefundEntity } from '../refund.entity';

export class RefundResponse {
  @ApiProperty({ format: 'uuid', example: '9d2f7c1a-4b3e-4a8f-8c6d-5e4f3a2b1c0d' })
  id: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 're_3QzX1aB2cD3eF4g',
    description: 'Null only while the refund is being created at Stripe',
  })
  stripeRefundId: string | null;

  @ApiProperty({ format: 'uuid' })
  paymentId: string;

  @ApiProperty({ example: 500 })
  amount: number;

  @ApiProperty({ example: 'usd' })
  currency: string;

  @ApiProperty({
    enum: ['pending', 'requires_action', 'succeeded', 'failed', 'canceled'],
    example: 'succeeded',
    description: "Stripe's refund status",
  })
  status: string;

  @ApiProperty({ type: String, nullable: true, example: 'requested_by_customer' })
  reason: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Set when the refund failed' })
  failureReason: string | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { ticket: 'SUP-991' } })
  metadata: Record<string, string>;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export function toRefundResponse(r: RefundEntity): RefundResponse {
  return {
    id: r.id,
    stripeRefundId: r.stripeRefundId,
    paymentId: r.paymentId,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    reason: r.reason,
    failureReason: r.failureReason,
    metadata: r.metadata,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
