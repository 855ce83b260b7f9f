import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageLimitDto } from '../../common/http/pagination';
import { DOMAIN_EVENT_TYPES, type DomainEventType } from '../event-types';

export class ListEventsQuery extends PageLimitDto {
  @ApiPropertyOptional({ enum: DOMAIN_EVENT_TYPES, example: 'payment.succeeded', description: 'Only events of this type' })
  @IsOptional()
  @IsIn(DOMAIN_EVENT_TYPES)
  type?: DomainEventType;

  @ApiPropertyOptional({
    example: '3a0d6c2e-5b7f-4f0e-9f6a-1c2b3d4e5f60',
    description: 'Only events of this object (our id, as its GET route takes it)',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,100}$/, { message: 'objectId must be an object id (letters, digits, - and _)' })
  objectId?: string;

  @ApiPropertyOptional({
    example: 'evt_01JDX4Q8ZK3M5N7P9R1S3T5V7W',
    description:
      'Id of the last event you processed: the page starts right after it (oldest first). Omit to start at the oldest kept event.',
  })
  @IsOptional()
  @Matches(/^evt_[A-Za-z0-9]{1,100}$/, { message: 'startingAfter must be an event id (evt_...)' })
  startingAfter?: string;
}
