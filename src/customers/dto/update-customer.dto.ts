import { PartialType } from '@nestjs/swagger';
import { CreateCustomerDto } from './create-customer.dto';

/** Every field optional; metadata keys are merged (an empty string value removes a key, as in Stripe). */
export class UpdateCustomerDto extends PartialType(CreateCustomerDto) {}
