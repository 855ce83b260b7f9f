import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { OperationId } from '../common/idempotency/operation-id.decorator';
import { CreatePaymentDto } from './dto/create-payment.dto';
import { CancelPaymentDto, CapturePaymentDto, ConfirmPaymentDto, GetPaymentQuery, ListPaymentsQuery } from './dto/payment-actions.dto';
import { PaymentResponse, toPaymentResponse } from './dto/payment.response';
import { ApiEndpoint } from '../common/http/api-endpoint.decorator';
import { Page, PageDto } from '../common/http/pagination';
import { PaymentsService } from './payments.service';

const PaymentPage = PageDto(PaymentResponse);
const STRIPE_ERRORS = [402, 404, 409, 422, 429, 502];

@ApiTags('payments')
@Controller('v1/payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @RequiredScope('write')
  @ApiEndpoint({
    summary: 'Start a payment (a Stripe PaymentIntent), optionally confirming it at once',
    description:
      'With confirm and a 3-D Secure card the answer is 201 with status requires_action and nextAction; a decline is a 402 problem with declineCode and paymentId.',
    status: 201,
    response: PaymentResponse,
    errors: [400, ...STRIPE_ERRORS],
    idempotent: true,
  })
  async create(@OperationId() operationId: string, @Body() dto: CreatePaymentDto): Promise<PaymentResponse> {
    return toPaymentResponse(await this.payments.create(operationId, dto));
  }

  @Get()
  @RequiredScope('read')
  @ApiEndpoint({ summary: 'List payments, newest first, by customer and/or status', response: PaymentPage, errors: [400] })
  async list(@Query() query: ListPaymentsQuery): Promise<Page<PaymentResponse>> {
    const page = await this.payments.list(query);
    return { ...page, data: page.data.map(toPaymentResponse) };
  }

  @Get(':id')
  @RequiredScope('read')
  @ApiEndpoint({
    summary: 'Get a payment as stored here; ?sync=true refreshes it from Stripe first',
    response: PaymentResponse,
    errors: [400, 404, 429, 502],
  })
  async get(@Param('id', ParseUUIDPipe) id: string, @Query() query: GetPaymentQuery): Promise<PaymentResponse> {
    if (query.sync) await this.payments.syncFromStripe(id);
    return toPaymentResponse(await this.payments.get(id));
  }

  @Post(':id/confirm')
  @RequiredScope('write')
  @ApiEndpoint({
    summary: 'Confirm a payment (charges the payment method, may need 3-D Secure)',
    response: PaymentResponse,
    errors: [400, ...STRIPE_ERRORS],
    idempotent: true,
  })
  async confirm(
    @Param('id', ParseUUIDPipe) id: string,
    @OperationId() operationId: string,
    @Body() dto: ConfirmPaymentDto,
  ): Promise<PaymentResponse> {
    return toPaymentResponse(await this.payments.confirm(id, operationId, dto));
  }

  @Post(':id/capture')
  @RequiredScope('write')
  @ApiEndpoint({
    summary: 'Capture an authorized payment (requires_capture), all or part of it',
    response: PaymentResponse,
    errors: [400, ...STRIPE_ERRORS],
    idempotent: true,
  })
  async capture(
    @Param('id', ParseUUIDPipe) id: string,
    @OperationId() operationId: string,
    @Body() dto: CapturePaymentDto,
  ): Promise<PaymentResponse> {
    return toPaymentResponse(await this.payments.capture(id, operationId, dto));
  }

  @Post(':id/cancel')
  @RequiredScope('write')
  @ApiEndpoint({
    summary: 'Cancel a payment that is not succeeded or canceled yet',
    response: PaymentResponse,
    errors: [400, ...STRIPE_ERRORS],
    idempotent: true,
  })
  async cancel(
    @Param('id', ParseUUIDPipe) id: string,
    @OperationId() operationId: string,
    @Body() dto: CancelPaymentDto,
  ): Promise<PaymentResponse> {
    return toPaymentResponse(await this.payments.cancel(id, operationId, dto));
  }
}
