import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../common/http/pagination';
import type { NotificationEndpointEntity } from '../notification-endpoint.entity';
import { SUBSCRIBABLE } from './create-notification-endpoint.dto';

export class NotificationEndpointResponse {
  @ApiProperty({ format: 'uuid', example: '8d7f3c2a-1b4e-4c6d-9e8f-0a1b2c3d4e5f' })
  id: string;

  @ApiProperty({ example: 'http://127.0.0.1:4000/payments-webhook' })
  url: string;

  @ApiProperty({ enum: SUBSCRIBABLE, isArray: true, example: ['payment.succeeded', 'payment.failed'] })
  events: string[];

  @ApiProperty({ type: String, nullable: true, example: 'orders service: mark orders paid' })
  description: string | null;

  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Why deliveries stopped, when the endpoint failed for NOTIFICATION_DISABLE_AFTER_HOURS',
  })
  disabledReason: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'First failed attempt since the last success' })
  failingSince: string | null;

  @ApiProperty({ example: '2026-11-29T16:40:00.000Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-29T16:40:00.000Z' })
  updatedAt: string;
}

export class NotificationEndpointWithSecretResponse extends NotificationEndpointResponse {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description:
      'Signing secret (Standard Webhooks). Shown only now: store it; verify deliveries with `new Webhook(secret).verify(body, headers)`.',
  })
  secret: string;
}

export class NotificationEndpointPage extends PageDto(NotificationEndpointResponse) {}

export function toEndpointResponse(e: NotificationEndpointEntity): NotificationEndpointResponse {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    description: e.description,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    failingSince: e.failingSince?.toISOString() ?? null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

export const toEndpointWithSecret = (e: NotificationEndpointEntity): NotificationEndpointWithSecretResponse => ({
  ...toEndpointResponse(e),
  secret: e.secret,
});
