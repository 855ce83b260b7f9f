import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { ListWebhookEventsDto } from './dto/list-webhook-events.dto';
import {
  toWebhookEventDetailResponse,
  toWebhookEventResponse,
  WebhookEventDetailResponse,
  WebhookEventListResponse,
} from './dto/webhook-event.response';
import { WebhookEventsService } from './webhook-events.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('v1/webhooks/events')
export class WebhookEventsController {
  constructor(private readonly events: WebhookEventsService) {}

  @Get()
  @RequiredScope('admin')
  @ApiOperation({ summary: 'List inbox events, newest first (filter by status, e.g. failed = the dead letters)' })
  @ApiOkResponse({ type: WebhookEventListResponse })
  async list(@Query() query: ListWebhookEventsDto): Promise<WebhookEventListResponse> {
    const page = await this.events.list(query);
    return { ...page, data: page.data.map(toWebhookEventResponse) };
  }

  @Get(':id')
  @RequiredScope('admin')
  @ApiOperation({ summary: 'One inbox event with its payload, attempts and last error' })
  @ApiParam({ name: 'id', example: 'evt_1PqR...' })
  @ApiOkResponse({ type: WebhookEventDetailResponse })
  async get(@Param('id') id: string): Promise<WebhookEventDetailResponse> {
    return toWebhookEventDetailResponse(await this.events.get(id));
  }

  @Post(':id/retry')
  @RequiredScope('admin')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Process a failed (or processed) event again, with a fresh attempt budget; 409 while it is processing or if it was ignored',
  })
  @ApiParam({ name: 'id', example: 'evt_1PqR...' })
  @ApiOkResponse({ type: WebhookEventDetailResponse })
  async retry(@Param('id') id: string): Promise<WebhookEventDetailResponse> {
    return toWebhookEventDetailResponse(await this.events.retry(id));
  }
}
