import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../common/http/pagination';
import { WEBHOOK_EVENT_STATUSES, type WebhookEventEntity, type WebhookEventStatus } from '../webhook-event.entity';

export class WebhookEventResponse {
  @ApiProperty({ example: 'evt_1PqR...' })
  id: string;
  @ApiProperty({ example: 'payment_intent.succeeded' })
  type: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_STATUSES })
  status: WebhookEventStatus;
  @ApiProperty({ enum: ['webhook', 'reconciliation'], description: 'How the event reached the inbox' })
  source: 'webhook' | 'reconciliation';
  @ApiProperty()
  livemode: boolean;
  @ApiProperty({ nullable: true, type: String })
  apiVersion: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'pi_3Q...' })
  objectId: string | null;
  @ApiProperty({ description: "The event's created time at Stripe (ISO 8601)" })
  stripeCreatedAt: string;
  @ApiProperty()
  attempts: number;
  @ApiProperty({ nullable: true, type: String })
  nextAttemptAt: string | null;
  @ApiProperty({ nullable: true, type: String })
  lastError: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'foreign object: not created by this service, recorded and not applied' })
  note: string | null;
  @ApiProperty()
  receivedAt: string;
  @ApiProperty({ nullable: true, type: String })
  processedAt: string | null;
}

export class WebhookEventDetailResponse extends WebhookEventResponse {
  @ApiProperty({ description: 'The event exactly as Stripe sent it', type: Object })
  payload: Record<string, unknown>;
}

export class WebhookEventListResponse extends PageDto(WebhookEventResponse) {}

export function toWebhookEventResponse(e: WebhookEventEntity): WebhookEventResponse {
  return {
    id: e.id,
    type: e.type,
    status: e.status,
    source: e.source,
    livemode: e.livemode,
    apiVersion: e.apiVersion,
    objectId: e.objectId,
    stripeCreatedAt: new Date(e.stripeCreated * 1000).toISOString(),
    attempts: e.attempts,
    nextAttemptAt: e.status === 'pending' ? e.nextAttemptAt.toISOString() : null,
    lastError: e.lastError,
    note: e.note,
    receivedAt: e.receivedAt.toISOString(),
    processedAt: e.processedAt?.toISOString() ?? null,
  };
}

export function toWebhookEventDetailResponse(e: WebhookEventEntity): WebhookEventDetailResponse {
  return { ...toWebhookEventResponse(e), payload: e.payload };
}
