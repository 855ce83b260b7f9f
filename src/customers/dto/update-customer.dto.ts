import { ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { PAYMENT_METHOD_ID } from '../../common/http/validators';
import { CreateCustomerDto } from './create-customer.dto';

/** Every field optional; metadata keys are merged (an empty string value removes a key, as in Stripe). */
export class UpdateCustomerDto extends PartialType(CreateCustomerDto) {
  @ApiPropertyOptional({
    example: 'pm_1QzX1aB2cD3eF4g',
    description: "One of the customer's saved payment methods, charged off-session and by subscriptions",
  })
  @IsOptional()
  @Matches(PAYMENT_METHOD_ID, { message: 'defaultPaymentMethod must be a saved payment method id (pm_...)' })
  defaultPaymentMethod?: string;
}
