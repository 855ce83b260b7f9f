import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { PageLimitDto } from '../../common/http/pagination';
import { PAYMENT_METHOD_ID } from '../../common/http/validators';
import type { PaymentMethodEntity } from '../payment-method.entity';

export class CardSummaryResponse {
  @ApiProperty({ example: 'visa' })
  brand: string;

  @ApiProperty({ example: '4242' })
  last4: string;

  @ApiProperty({ example: 12 })
  expMonth: number;

  @ApiProperty({ example: 2030 })
  expYear: number;

  @ApiProperty({ type: String, nullable: true, example: 'credit' })
  funding: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'US' })
  country: string | null;
}

export class PaymentMethodResponse {
  @ApiProperty({ example: 'pm_1QzX1aB2cD3eF4g', description: "Stripe's PaymentMethod id" })
  id: string;

  @ApiProperty({ example: 'card' })
  type: string;

  @ApiProperty({ type: CardSummaryResponse, nullable: true, description: 'Display fields only; never more card data' })
  card: CardSummaryResponse | null;

  @ApiProperty({ description: "The customer's default (Stripe's invoice_settings.default_payment_method)" })
  isDefault: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export function toPaymentMethodResponse(pm: PaymentMethodEntity, defaultId: string | null): PaymentMethodResponse {
  return { id: pm.id, type: pm.type, card: pm.card, isDefault: pm.id === defaultId, createdAt: pm.createdAt.toISOString() };
}

/** A payment method as our domain events carry it: whose it is and whether it is still attached. */
export interface PaymentMethodEventObject extends Omit<PaymentMethodResponse, 'isDefault'> {
  customerId: string;
  detachedAt: string | null;
}

export function toPaymentMethodEvent(pm: PaymentMethodEntity): PaymentMethodEventObject {
  const { isDefault: _default, ...rest } = toPaymentMethodResponse(pm, null);
  return { ...rest, customerId: pm.customerId, detachedAt: pm.detachedAt?.toISOString() ?? null };
}

export class ListPaymentMethodsQuery extends PageLimitDto {
  @ApiPropertyOptional({ example: 'pm_1QzX1aB2cD3eF4g', description: 'The id of the last payment method of the previous page' })
  @IsOptional()
  @Matches(PAYMENT_METHOD_ID, { message: 'startingAfter must be a payment method id (pm_...)' })
  startingAfter?: string;
}
