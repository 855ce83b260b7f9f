import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { MAX_AMOUNT } from '../../payments/amount-rules';
import { IsStripeMetadata, NoCardNumber } from '../../common/http/validators';

export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export class CreateRefundDto {
  @ApiProperty({ format: 'uuid', description: 'Our id of a succeeded payment' })
  @IsUUID()
  paymentId: string;

  @ApiPropertyOptional({ example: 500, description: 'Minor units, at most what is left to refund. Default: all of it' })
  @IsOptional()
  @IsInt({ message: 'amount must be a positive integer in the smallest currency unit' })
  @Min(1, { message: 'amount must be a positive integer in the smallest currency unit' })
  @Max(MAX_AMOUNT, { message: 'amount must have at most 8 digits' })
  amount?: number;

  @ApiPropertyOptional({ enum: REFUND_REASONS })
  @IsOptional()
  @IsIn(REFUND_REASONS)
  reason?: (typeof REFUND_REASONS)[number];

  @ApiPropertyOptional({ example: { ticket: 'SUP-991' }, type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsStripeMetadata()
  @NoCardNumber()
  metadata?: Record<string, string>;
}
