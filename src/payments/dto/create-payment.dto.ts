import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsInt, IsOptional, IsString, IsUrl, IsUUID, Matches, MaxLength, ValidateBy } from 'class-validator';
import { chargeAmountProblem, SUPPORTED_CURRENCIES } from '../amount-rules';
import { IsStripeMetadata, NoCardNumber, PAYMENT_METHOD_ID } from '../../common/http/validators';

/** Amount rules depend on the currency (minimums, zero-decimal), so the check reads both fields. */
const IsChargeAmount = () =>
  ValidateBy({
    name: 'isChargeAmount',
    validator: {
      validate: (value, args) => chargeAmountProblem(value as number, String((args?.object as { currency?: unknown }).currency)) === null,
      defaultMessage: (args) =>
        chargeAmountProblem(args!.value as number, String((args?.object as { currency?: unknown }).currency)) ?? 'amount is invalid',
    },
  });

export const PAYMENT_METHOD_MESSAGE = 'paymentMethod must be a Stripe payment method id (pm_...); card numbers are never accepted';

export class CreatePaymentDto {
  @ApiProperty({
    example: 2000,
    description:
      'Positive integer in the smallest currency unit (2000 = USD 20.00; 500 = JPY 500), at most 8 digits, at least the currency minimum',
  })
  @IsInt({ message: 'amount must be a positive integer in the smallest currency unit' })
  @IsChargeAmount()
  amount: number;

  @ApiProperty({ example: 'usd', description: 'Lowercase ISO 4217 code', enum: SUPPORTED_CURRENCIES })
  @IsIn(SUPPORTED_CURRENCIES, { message: 'currency must be a supported lowercase ISO 4217 code (usd, eur, gbp, jpy, ...)' })
  currency: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Our customer id' })
  @IsOptional()
  @IsUUID()
  customerId?: string;

  @ApiPropertyOptional({ example: 'pm_card_visa', description: 'A Stripe payment method id; never card data' })
  @IsOptional()
  @IsString()
  @NoCardNumber()
  @Matches(PAYMENT_METHOD_ID, { message: PAYMENT_METHOD_MESSAGE })
  paymentMethod?: string;

  @ApiPropertyOptional({ example: true, description: 'Confirm at once (needs paymentMethod)' })
  @IsOptional()
  @IsBoolean()
  confirm?: boolean;

  @ApiPropertyOptional({
    example: false,
    description:
      "Charge while the customer is away (with confirm and customerId); without paymentMethod, the customer's default card. A card needing authentication answers 402 authentication_required",
  })
  @IsOptional()
  @IsBoolean()
  offSession?: boolean;

  @ApiPropertyOptional({
    enum: ['off_session', 'on_session'],
    description:
      "Save the card to the customer once the payment succeeds (Stripe's setup_future_usage); off_session allows later charges without them",
  })
  @IsOptional()
  @IsIn(['off_session', 'on_session'])
  setupFutureUsage?: 'off_session' | 'on_session';

  @ApiPropertyOptional({ enum: ['automatic', 'manual'], default: 'automatic', description: 'manual: authorize now, capture later' })
  @IsOptional()
  @IsIn(['automatic', 'manual'])
  captureMethod?: 'automatic' | 'manual';

  @ApiPropertyOptional({ example: 'Order #1842', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @NoCardNumber()
  description?: string;

  @ApiPropertyOptional({ example: 'ada@example.com' })
  @IsOptional()
  @IsEmail()
  @NoCardNumber()
  receiptEmail?: string;

  @ApiPropertyOptional({
    example: 'https://shop.example.com/checkout/done',
    description: 'Where 3-D Secure returns the customer (with confirm)',
  })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @NoCardNumber()
  returnUrl?: string;

  @ApiPropertyOptional({ example: { orderId: '1842' }, type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsStripeMetadata()
  @NoCardNumber()
  metadata?: Record<string, string>;
}
