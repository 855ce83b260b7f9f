import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, IsUrl, IsUUID, Matches } from 'class-validator';
import { camelizeKeys } from '../../common/http/camelize';
import { IsStripeMetadata, NoCardNumber, PAYMENT_METHOD_ID } from '../../common/http/validators';
import { PAYMENT_METHOD_MESSAGE } from '../../payments/dto/create-payment.dto';
import type { LastSetupError, SetupIntentEntity } from '../setup-intent.entity';
import { SETUP_INTENT_STATUSES } from '../setup-intent.entity';

export class ConfirmSetupIntentDto {
  @ApiPropertyOptional({ example: 'pm_card_visa', description: 'A Stripe payment method id; never card data' })
  @IsOptional()
  @IsString()
  @NoCardNumber()
  @Matches(PAYMENT_METHOD_ID, { message: PAYMENT_METHOD_MESSAGE })
  paymentMethod?: string;

  @ApiPropertyOptional({ example: 'https://shop.example.com/cards/saved', description: 'Where 3-D Secure returns the customer' })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @NoCardNumber()
  returnUrl?: string;
}

export class CreateSetupIntentDto extends ConfirmSetupIntentDto {
  @ApiProperty({ format: 'uuid', description: 'Our customer the card is saved for' })
  @IsUUID()
  customerId: string;

  @ApiPropertyOptional({ example: true, description: 'Confirm at once (needs paymentMethod)' })
  @IsOptional()
  @IsBoolean()
  confirm?: boolean;

  @ApiPropertyOptional({
    enum: ['off_session', 'on_session'],
    default: 'off_session',
    description: 'off_session: later charges may happen without the customer (subscriptions, "pay with saved card")',
  })
  @IsOptional()
  @IsIn(['off_session', 'on_session'])
  usage?: 'off_session' | 'on_session';

  @ApiPropertyOptional({ example: { purpose: 'checkout' }, type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsStripeMetadata()
  @NoCardNumber()
  metadata?: Record<string, string>;
}

export class LastSetupErrorResponse {
  @ApiProperty({ type: String, nullable: true, example: 'card_declined' })
  code: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'generic_decline' })
  declineCode: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Your card was declined.' })
  message: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'pm_1QzX1aB2cD3eF4g' })
  paymentMethod: string | null;
}

export class SetupIntentResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  customerId: string;

  @ApiProperty({ example: 'seti_1QzX1aB2cD3eF4g' })
  stripeSetupIntentId: string;

  @ApiProperty({ enum: SETUP_INTENT_STATUSES, example: 'succeeded', description: "Stripe's SetupIntent status, verbatim" })
  status: string;

  @ApiProperty({ enum: ['off_session', 'on_session'] })
  usage: string;

  @ApiProperty({ type: String, nullable: true, description: 'For Stripe.js on the front end; never logged' })
  clientSecret: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'pm_1QzX1aB2cD3eF4g' })
  paymentMethod: string | null;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: 'With requires_action: where to send the customer',
  })
  nextAction: Record<string, unknown> | null;

  @ApiProperty({ type: LastSetupErrorResponse, nullable: true })
  lastSetupError: LastSetupError | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  metadata: Record<string, string>;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export function toSetupIntentResponse(s: SetupIntentEntity): SetupIntentResponse {
  return {
    id: s.id,
    customerId: s.customerId,
    stripeSetupIntentId: s.stripeSetupIntentId,
    status: s.status,
    usage: s.usage,
    clientSecret: s.clientSecret,
    paymentMethod: s.paymentMethod,
    nextAction: s.nextAction ? (camelizeKeys(s.nextAction) as Record<string, unknown>) : null,
    lastSetupError: s.lastSetupError,
    metadata: s.metadata,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
