import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageLimitDto } from '../../common/http/pagination';
import { WEBHOOK_EVENT_STATUSES, type WebhookEventStatus } from '../webhook-event.entity';

export class ListWebhookEventsDto extends PageLimitDto {
  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_STATUSES, description: 'Only events in this state' })
  @IsOptional()
  @IsIn(WEBHOOK_EVENT_STATUSES)
  status?: WebhookEventStatus;

  @ApiPropertyOptional({ example: 'payment_intent.succeeded', description: 'Only events of this Stripe type' })
  @IsOptional()
  @Matches(/^[a-z_.]{1,200}$/)
  type?: string;

  // Not ListQueryDto: the cursor is a Stripe event id, not a UUID.
  @ApiPropertyOptional({ example: 'evt_1PqR...', description: 'Our id of the last event of the previous page (newest first)' })
  @IsOptional()
  @Matches(/^evt_[A-Za-z0-9_]{1,250}$/)
  startingAfter?: string;
}
