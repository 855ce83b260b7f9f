import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { WEBHOOK_EVENT_STATUSES, type WebhookEventStatus } from '../webhook-event.entity';

export class ListWebhookEventsDto {
  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_STATUSES, description: 'Only events in this state' })
  @IsOptional()
  @IsIn(WEBHOOK_EVENT_STATUSES)
  status?: WebhookEventStatus;

  @ApiPropertyOptional({ example: 'payment_intent.succeeded', description: 'Only events of this Stripe type' })
  @IsOptional()
  @Matches(/^[a-z_.]{1,200}$/)
  type?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit = 20;

  // Not ListQueryDto: the cursor is a Stripe event id, not a UUID.
  @ApiPropertyOptional({ example: 'evt_1PqR...', description: 'Our id of the last event of the previous page (newest first)' })
  @IsOptional()
  @Matches(/^evt_[A-Za-z0-9_]{1,250}$/)
  startingAfter?: string;
}
