import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { OperationId } from '../common/idempotency/operation-id.decorator';
import { ApiEndpoint } from '../common/http/api-endpoint.decorator';
import { Page, PageDto } from '../common/http/pagination';
import { CreateSubscriptionDto } from './dto/create-subscription.dto';
import { CancelSubscriptionDto, GetSubscriptionQuery, ListSubscriptionsQuery } from './dto/subscription-actions.dto';
import { SubscriptionResponse, toSubscriptionResponse } from './dto/subscription.response';
import { SubscriptionsService } from './subscriptions.service';

const SubscriptionPage = PageDto(SubscriptionResponse);

@ApiTags('subscriptions')
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  @RequiredScope('write')
  @ApiEndpoint({
    summary: 'Subscribe a customer to a recurring Stripe price',
    description:
      'Without paymentMethod: status incomplete with clientSecret; the front end confirms the first invoice with Stripe.js and the subscription becomes active once it is paid. ' +
      'With paymentMethod the first invoice is charged at once: active on success; a decline is NOT an error: 201 with status incomplete, latestInvoice.status open, ' +
      'latestInvoice.paymentStatus requires_payment_method and a clientSecret to retry with another card. With trialPeriodDays: trialing, nothing charged yet. ' +
      'Unknown customer (or price): 400 naming the field; deleted customer: 409 (no Stripe call).',
    status: 201,
    response: SubscriptionResponse,
    errors: [400, 409, 422, 429, 502],
    idempotent: true,
  })
  async create(@OperationId() operationId: string, @Body() dto: CreateSubscriptionDto): Promise<SubscriptionResponse> {
    return toSubscriptionResponse(await this.subscriptions.create(operationId, dto));
  }

  @Get()
  @RequiredScope('read')
  @ApiEndpoint({ summary: 'List subscriptions, newest first, by customer and/or status', response: SubscriptionPage, errors: [400] })
  async list(@Query() query: ListSubscriptionsQuery): Promise<Page<SubscriptionResponse>> {
    const page = await this.subscriptions.list(query);
    return { ...page, data: page.data.map(toSubscriptionResponse) };
  }

  @Get(':id')
  @RequiredScope('read')
  @ApiEndpoint({
    summary: 'Get a subscription as stored here; ?sync=true refreshes it (and its latest invoice) from Stripe first',
    response: SubscriptionResponse,
    errors: [400, 404, 429, 502],
  })
  async get(@Param('id', ParseUUIDPipe) id: string, @Query() query: GetSubscriptionQuery): Promise<SubscriptionResponse> {
    if (query.sync) await this.subscriptions.syncFromStripe(id);
    return toSubscriptionResponse(await this.subscriptions.get(id));
  }

  @Post(':id/cancel')
  @RequiredScope('write')
  @ApiEndpoint({
    summary: 'Cancel a subscription now, or at the end of the current period',
    description:
      'atPeriodEnd true: cancelAtPeriodEnd becomes true and the status stays (active/trialing/past_due) until the period ends; not allowed for incomplete ones (409). ' +
      'atPeriodEnd false (default): canceled now. Already canceled or incomplete_expired: 409 without a Stripe call.',
    status: 200,
    response: SubscriptionResponse,
    errors: [400, 404, 409, 422, 429, 502],
    idempotent: true,
  })
  async cancel(
    @Param('id', ParseUUIDPipe) id: string,
    @OperationId() operationId: string,
    @Body() dto: CancelSubscriptionDto,
  ): Promise<SubscriptionResponse> {
    return toSubscriptionResponse(await this.subscriptions.cancel(id, operationId, dto));
  }
}
