import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DEMO_CATALOG } from '@app/stripe-emulator';
import { IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { PAYMENT_METHOD_MESSAGE } from '../../payments/dto/create-payment.dto';
import { IsStripeMetadata, NoCardNumber, PAYMENT_METHOD_ID } from '../../common/http/validators';

export const PRICE_ID = /^price_[A-Za-z0-9_]+$/;

export class CreateSubscriptionDto {
  @ApiProperty({ format: 'uuid', description: 'Our customer id (must exist and not be deleted)' })
  @IsUUID()
  customerId: string;

  @ApiProperty({
    example: DEMO_CATALOG.prices[0].id,
    description: 'A recurring Stripe price id; the catalog is managed in Stripe (the sandbox has two demo prices, see GET /v1/config)',
  })
  @IsString()
  @Matches(PRICE_ID, { message: 'priceId must be a Stripe price id (price_...)' })
  priceId: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  quantity?: number;

  @ApiPropertyOptional({
    example: 'pm_card_visa',
    description:
      'Becomes the default payment method and pays the first invoice at once. Without it the first invoice waits for the front end (clientSecret).',
  })
  @IsOptional()
  @IsString()
  @NoCardNumber()
  @Matches(PAYMENT_METHOD_ID, { message: PAYMENT_METHOD_MESSAGE })
  paymentMethod?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 730, description: 'Free trial: status trialing, nothing charged until it ends' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(730)
  trialPeriodDays?: number;

  @ApiPropertyOptional({ example: { plan: 'pro' }, type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsStripeMetadata()
  @NoCardNumber()
  metadata?: Record<string, string>;
}
