import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { DOMAIN_EVENT_TYPES } from '../../events/event-types';

export const SUBSCRIBABLE = ['*', ...DOMAIN_EVENT_TYPES] as const;

export class CreateNotificationEndpointDto {
  @ApiProperty({
    example: 'http://127.0.0.1:4000/payments-webhook',
    description:
      'Where to POST the events: http(s) only; link-local and cloud metadata addresses (169.254.0.0/16, fd00:ec2::254) are refused, ' +
      'NOTIFICATION_ALLOWED_HOSTS may restrict hosts further. Redirects are not followed.',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiProperty({
    enum: SUBSCRIBABLE,
    isArray: true,
    example: ['payment.succeeded', 'payment.failed', 'refund.failed'],
    description: 'Event types to receive, or ["*"] for every type',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SUBSCRIBABLE.length)
  @ArrayUnique()
  @IsIn(SUBSCRIBABLE, { each: true, message: `each value in events must be "*" or one of: ${DOMAIN_EVENT_TYPES.join(', ')}` })
  events: string[];

  @ApiPropertyOptional({ example: 'orders service: mark orders paid', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}
