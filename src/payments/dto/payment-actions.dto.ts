import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, IsUUID, Matches, Max, Min } from 'class-validator';
import { MAX_AMOUNT } from '../amount-rules';
import { ListQueryDto } from '../../common/http/pagination';
import { NoCardNumber, PAYMENT_METHOD_ID } from '../../common/http/validators';
import { PAYMENT_STATUSES, PaymentStatus } from '../payment.entity';
import { PAYMENT_METHOD_MESSAGE } from './create-payment.dto';

export class ConfirmPaymentDto {
  @ApiPropertyOptional({ example: 'pm_card_visa', description: 'A Stripe payment method id (required if the payment has none)' })
  @IsOptional()
  @IsString()
  @NoCardNumber()
  @Matches(PAYMENT_METHOD_ID, { message: PAYMENT_METHOD_MESSAGE })
  paymentMethod?: string;

  @ApiPropertyOptional({ example: 'https://shop.example.com/checkout/done' })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @NoCardNumber()
  returnUrl?: string;
}

export class CapturePaymentDto {
  @ApiPropertyOptional({ example: 1500, description: 'At most amountCapturable; the rest is released. Default: all of it' })
  @IsOptional()
  @IsInt({ message: 'amount must be a positive integer in the smallest currency unit' })
  @Min(1, { message: 'amount must be a positive integer in the smallest currency unit' })
  @Max(MAX_AMOUNT, { message: 'amount must have at most 8 digits' })
  amount?: number;
}

export const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] as const;

export class CancelPaymentDto {
  @ApiPropertyOptional({ enum: CANCELLATION_REASONS })
  @IsOptional()
  @IsIn(CANCELLATION_REASONS)
  reason?: (typeof CANCELLATION_REASONS)[number];
}

export class GetPaymentQuery {
  @ApiPropertyOptional({ description: 'Refresh from Stripe before answering', default: false })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  sync?: boolean;
}

export class ListPaymentsQuery extends ListQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @ApiPropertyOptional({ enum: PAYMENT_STATUSES })
  @IsOptional()
  @IsIn(PAYMENT_STATUSES)
  status?: PaymentStatus;
}
