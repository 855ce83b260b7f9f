import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsStripeMetadata, NoCardNumber } from '../../common/http/validators';

export class CreateCustomerDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 512 })
  @IsEmail()
  @MaxLength(512)
  @NoCardNumber()
  email: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace', maxLength: 256 })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  @NoCardNumber()
  name?: string;

  @ApiPropertyOptional({ example: '+44 20 7946 0958', maxLength: 20 })
  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{3,20}$/, { message: 'phone must be a phone number (digits, spaces, +, -, parentheses)' })
  @NoCardNumber()
  phone?: string;

  @ApiPropertyOptional({ example: 'Customer since 2024', maxLength: 350 })
  @IsOptional()
  @IsString()
  @MaxLength(350)
  @NoCardNumber()
  description?: string;

  @ApiPropertyOptional({
    description: 'Test mode only: a Stripe test clock the customer lives on, so its subscriptions renew as the clock is advanced',
  })
  @IsOptional()
  @Matches(/^clock_[A-Za-z0-9]+$/, { message: 'testClock must be a Stripe test clock id (clock_...)' })
  testClock?: string;

  @ApiPropertyOptional({ example: { crmId: 'c-1842' }, type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsStripeMetadata()
  @NoCardNumber()
  metadata?: Record<string, string>;
}
