import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { ApiEndpoint } from '../common/http/api-endpoint.decorator';
import { ListQueryDto, Page } from '../common/http/pagination';
import { CreateNotificationEndpointDto } from './dto/create-notification-endpoint.dto';
import {
  DeliveryAttemptPage,
  DeliveryAttemptResponse,
  DeliveryRetryResponse,
  ListDeliveryAttemptsQuery,
} from './dto/delivery-attempt.response';
import {
  NotificationEndpointPage,
  NotificationEndpointResponse,
  NotificationEndpointWithSecretResponse,
  toEndpointResponse,
  toEndpointWithSecret,
} from './dto/notification-endpoint.response';
import { UpdateNotificationEndpointDto } from './dto/update-notification-endpoint.dto';
import { NotificationEndpointsService } from './notification-endpoints.service';

const EVENT_ID = { name: 'eventId', example: 'evt_01JDX4Q8ZK3M5N7P9R1S3T5V7W' };

@ApiTags('notification endpoints')
@RequiredScope('admin')
@Controller('v1/notification-endpoints')
export class NotificationEndpointsController {
  constructor(private readonly endpoints: NotificationEndpointsService) {}

  @Post()
  @ApiEndpoint({
    summary: 'Register a receiver of signed webhooks (Standard Webhooks); the answer holds its secret, shown only now',
    description:
      'Each event is POSTed as JSON with webhook-id (the event id), webhook-timestamp and webhook-signature; verify with the ' +
      '`standardwebhooks` package. 2xx within NOTIFICATION_TIMEOUT_SECONDS counts as delivered, anything else is retried on ' +
      'NOTIFICATION_RETRY_SCHEDULE and then dead-lettered (see GET .../deliveries). Events of one object arrive in order.',
    status: 201,
    response: NotificationEndpointWithSecretResponse,
    errors: [400],
  })
  async create(@Body() dto: CreateNotificationEndpointDto): Promise<NotificationEndpointWithSecretResponse> {
    return toEndpointWithSecret(await this.endpoints.create(dto));
  }

  @Get()
  @ApiEndpoint({ summary: 'List notification endpoints, newest first', response: NotificationEndpointPage, errors: [400] })
  async list(@Query() query: ListQueryDto): Promise<Page<NotificationEndpointResponse>> {
    const page = await this.endpoints.list(query);
    return { ...page, data: page.data.map(toEndpointResponse) };
  }

  @Get(':id')
  @ApiEndpoint({ summary: 'Get a notification endpoint (without its secret)', response: NotificationEndpointResponse, errors: [400, 404] })
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<NotificationEndpointResponse> {
    return toEndpointResponse(await this.endpoints.get(id));
  }

  @Patch(':id')
  @ApiEndpoint({
    summary: 'Change url, events, description, or pause/resume with enabled',
    response: NotificationEndpointResponse,
    errors: [400, 404],
  })
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateNotificationEndpointDto): Promise<NotificationEndpointResponse> {
    return toEndpointResponse(await this.endpoints.update(id, dto));
  }

  @Delete(':id')
  @ApiEndpoint({
    summary: 'Delete a notification endpoint and its delivery history',
    response: NotificationEndpointResponse,
    errors: [400, 404],
  })
  async remove(@Param('id', ParseUUIDPipe) id: string): Promise<NotificationEndpointResponse> {
    return toEndpointResponse(await this.endpoints.remove(id));
  }

  @Post(':id/rotate-secret')
  @ApiEndpoint({
    summary: 'New signing secret; the old one keeps signing beside it (a second v1 signature) for 24 h',
    status: 200,
    response: NotificationEndpointWithSecretResponse,
    errors: [400, 404],
  })
  async rotate(@Param('id', ParseUUIDPipe) id: string): Promise<NotificationEndpointWithSecretResponse> {
    return toEndpointWithSecret(await this.endpoints.rotateSecret(id));
  }

  @Get(':id/deliveries')
  @ApiEndpoint({
    summary: 'Every delivery attempt to this endpoint, newest first: status code, duration, error, next retry, dead letters',
    response: DeliveryAttemptPage,
    errors: [400, 404],
  })
  attempts(@Param('id', ParseUUIDPipe) id: string, @Query() query: ListDeliveryAttemptsQuery): Promise<Page<DeliveryAttemptResponse>> {
    return this.endpoints.attempts(id, query);
  }

  @Post(':id/deliveries/:eventId/retry')
  @ApiParam(EVENT_ID)
  @ApiEndpoint({
    summary: 'Send one event to this endpoint again now (a dead letter, or a delivered one), with a fresh retry budget',
    status: 202,
    response: DeliveryRetryResponse,
    errors: [400, 404, 409],
  })
  retry(@Param('id', ParseUUIDPipe) id: string, @Param('eventId') eventId: string): Promise<DeliveryRetryResponse> {
    return this.endpoints.retry(id, eventId);
  }
}
