import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../common/http/pagination';
import { DOMAIN_EVENT_TYPES } from '../event-types';

export class EventDataResponse {
  @ApiProperty({ type: Object, description: 'The object exactly as its GET route returns it at the time of the event' })
  object: Record<string, unknown>;
}

export class EventPreviousResponse {
  @ApiProperty({ type: String, nullable: true, example: 'requires_action' })
  status: string | null;
}

/** One of our domain events, as the feed, signed webhooks and NATS carry it (the same JSON everywhere). */
export class EventResponse {
  @ApiProperty({ example: 'evt_01JDX4Q8ZK3M5N7P9R1S3T5V7W', description: 'Unique; the webhook-id header and the NATS Nats-Msg-Id' })
  id: string;

  @ApiProperty({ enum: DOMAIN_EVENT_TYPES, example: 'payment.succeeded' })
  type: string;

  @ApiProperty({ example: '2026-11-29T16:40:00.000Z' })
  createdAt: string;

  @ApiProperty({ type: EventDataResponse })
  data: EventDataResponse;

  @ApiProperty({ type: EventPreviousResponse, nullable: true, description: 'What changed: the previous status, null for a creation' })
  previous: EventPreviousResponse | null;
}

export class EventPage extends PageDto(EventResponse) {}
