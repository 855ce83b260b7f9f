import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { ApiEndpoint } from '../common/http/api-endpoint.decorator';
import { OperationId } from '../common/idempotency/operation-id.decorator';
import { GetPaymentQuery } from '../payments/dto/payment-actions.dto';
import { ConfirmSetupIntentDto, CreateSetupIntentDto, SetupIntentResponse, toSetupIntentResponse } from './dto/setup-intent.dto';
import { SetupIntentsService } from './setup-intents.service';

const STRIPE_ERRORS = [402, 404, 409, 422, 429, 502];

@ApiTags('setup-intents')
@Controller('v1/setup-intents')
export class SetupIntentsController {
  constructor(private readonly intents: SetupIntentsService) {}

  @RequiredScope('write')
  @Post()
  @ApiEndpoint({
    summary: 'Save a card for later charges (a Stripe SetupIntent), optionally confirming it at once',
    description:
      'Hand clientSecret to the front end (Stripe.js confirmCardSetup), or confirm here with a pm_... id. A card needing 3-D Secure answers requires_action with nextAction.',
    status: 201,
    response: SetupIntentResponse,
    errors: [400, ...STRIPE_ERRORS],
    idempotent: true,
  })
  async create(@OperationId() operationId: string, @Body() dto: CreateSetupIntentDto): Promise<SetupIntentResponse> {
    return toSetupIntentResponse(await this.intents.create(operationId, dto));
  }

  @RequiredScope('read')
  @Get(':id')
  @ApiEndpoint({
    summary: 'Get a setup intent as stored here; ?sync=true refreshes it from Stripe first',
    response: SetupIntentResponse,
    errors: [400, 404, 429, 502],
  })
  async get(@Param('id', ParseUUIDPipe) id: string, @Query() query: GetPaymentQuery): Promise<SetupIntentResponse> {
    if (query.sync) await this.intents.syncFromStripe(id);
    return toSetupIntentResponse(await this.intents.get(id));
  }

  @RequiredScope('write')
  @Post(':id/confirm')
  @ApiEndpoint({
    summary: 'Confirm a setup intent (may need 3-D Secure)',
    response: SetupIntentResponse,
    errors: [400, ...STRIPE_ERRORS],
    idempotent: true,
  })
  async confirm(
    @Param('id', ParseUUIDPipe) id: string,
    @OperationId() operationId: string,
    @Body() dto: ConfirmSetupIntentDto,
  ): Promise<SetupIntentResponse> {
    return toSetupIntentResponse(await this.intents.confirm(id, operationId, dto));
  }

  @RequiredScope('write')
  @Post(':id/cancel')
  @ApiEndpoint({
    summary: 'Cancel a setup intent that is not succeeded or canceled yet',
    response: SetupIntentResponse,
    errors: [400, ...STRIPE_ERRORS],
    idempotent: true,
  })
  async cancel(@Param('id', ParseUUIDPipe) id: string, @OperationId() operationId: string): Promise<SetupIntentResponse> {
    return toSetupIntentResponse(await this.intents.cancel(id, operationId));
  }
}
