import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { OperationId } from '../common/idempotency/operation-id.decorator';
import { ApiEndpoint } from '../common/http/api-endpoint.decorator';
import { Page, PageDto } from '../common/http/pagination';
import { CreateRefundDto } from './dto/create-refund.dto';
import { ListRefundsQuery } from './dto/list-refunds.query';
import { RefundResponse, toRefundResponse } from './dto/refund.response';
import { RefundsService } from './refunds.service';

const RefundPage = PageDto(RefundResponse);

@ApiTags('refunds')
@Controller('v1/refunds')
export class RefundsController {
  constructor(private readonly refunds: RefundsService) {}

  @Post()
  @RequiredScope('refunds')
  @ApiEndpoint({
    summary: 'Refund a succeeded payment, fully or partly',
    description:
      'The amount is checked against what was received minus every refund not failed or canceled (in-flight ones included) before Stripe is called.',
    status: 201,
    response: RefundResponse,
    errors: [400, 409, 422, 429, 502],
    idempotent: true,
  })
  async create(@OperationId() operationId: string, @Body() dto: CreateRefundDto): Promise<RefundResponse> {
    return toRefundResponse(await this.refunds.create(operationId, dto));
  }

  @Get()
  @RequiredScope('read')
  @ApiEndpoint({ summary: 'List refunds, newest first, optionally of one payment', response: RefundPage, errors: [400] })
  async list(@Query() query: ListRefundsQuery): Promise<Page<RefundResponse>> {
    const page = await this.refunds.list(query);
    return { ...page, data: page.data.map(toRefundResponse) };
  }

  @Get(':id')
  @RequiredScope('read')
  @ApiEndpoint({ summary: 'Get a refund', response: RefundResponse, errors: [400, 404] })
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<RefundResponse> {
    return toRefundResponse(await this.refunds.get(id));
  }
}
