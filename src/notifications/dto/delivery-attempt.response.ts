import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { PageDto, PageLimitDto } from '../../common/http/pagination';

export const ATTEMPT_OUTCOMES = ['delivered', 'retry_scheduled', 'dead_lettered'] as const;

export class ListDeliveryAttemptsQuery extends PageLimitDto {
  @ApiPropertyOptional({ example: 'evt_01JDX4Q8ZK3M5N7P9R1S3T5V7W', description: 'Only the attempts of this event' })
  @IsOptional()
  @Matches(/^evt_[A-Za-z0-9]{1,100}$/, { message: 'eventId must be an event id (evt_...)' })
  eventId?: string;

  @ApiPropertyOptional({ example: '1042', description: 'id of the last attempt of the previous page (newest first)' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'startingAfter must be an attempt id' })
  startingAfter?: string;
}

/** One HTTP attempt to deliver one event to one endpoint. */
export class DeliveryAttemptResponse {
  @ApiProperty({ example: '1042' })
  id: string;

  @ApiProperty({ example: 'evt_01JDX4Q8ZK3M5N7P9R1S3T5V7W', description: 'Also the webhook-id header of the request' })
  eventId: string;

  @ApiProperty({ example: 1, description: 'Attempt number of this delivery (a manual retry starts again at 1)' })
  attempt: number;

  @ApiProperty({ enum: ATTEMPT_OUTCOMES, example: 'retry_scheduled' })
  outcome: (typeof ATTEMPT_OUTCOMES)[number];

  @ApiProperty({ type: Number, nullable: true, example: 500, description: 'null when no answer came (timeout, refused connection)' })
  statusCode: number | null;

  @ApiProperty({ example: 37 })
  durationMs: number;

  @ApiProperty({ type: String, nullable: true, example: 'answered 500' })
  error: string | null;

  @ApiProperty({ type: String, nullable: true, example: '2026-11-29T16:45:05.000Z', description: 'When the next attempt is due' })
  nextRetryAt: string | null;

  @ApiProperty({ example: '2026-11-29T16:45:00.000Z' })
  createdAt: string;
}

export class DeliveryAttemptPage extends PageDto(DeliveryAttemptResponse) {}

export class DeliveryRetryResponse {
  @ApiProperty({ format: 'uuid', example: '8d7f3c2a-1b4e-4c6d-9e8f-0a1b2c3d4e5f' })
  endpointId: string;

  @ApiProperty({ example: 'evt_01JDX4Q8ZK3M5N7P9R1S3T5V7W' })
  eventId: string;

  @ApiProperty({ example: 'pending', description: 'Queued again: sent as soon as no earlier event of its object is unfinished' })
  status: 'pending';
}
