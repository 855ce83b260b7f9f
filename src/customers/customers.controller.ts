import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { OperationId } from '../common/idempotency/operation-id.decorator';
import { ApiEndpoint } from '../common/http/api-endpoint.decorator';
import { Page, PageDto } from '../common/http/pagination';
import { CustomersService } from './customers.service';
import { CreateCustomerDto } from './dto/create-customer.dto';
import { CustomerResponse, toCustomerResponse } from './dto/customer.response';
import { ListCustomersQuery } from './dto/list-customers.query';
import { UpdateCustomerDto } from './dto/update-customer.dto';

const CustomerPage = PageDto(CustomerResponse);

@ApiTags('customers')
@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @RequiredScope('write')
  @ApiEndpoint({
    summary: 'Create a customer (in Stripe and here)',
    status: 201,
    response: CustomerResponse,
    errors: [400, 409, 422, 429, 502],
    idempotent: true,
  })
  async create(@OperationId() operationId: string, @Body() dto: CreateCustomerDto): Promise<CustomerResponse> {
    return toCustomerResponse(await this.customers.create(operationId, dto));
  }

  @Get()
  @RequiredScope('read')
  @ApiEndpoint({ summary: 'List customers, newest first, optionally by email', response: CustomerPage, errors: [400] })
  async list(@Query() query: ListCustomersQuery): Promise<Page<CustomerResponse>> {
    const page = await this.customers.list(query);
    return { ...page, data: page.data.map(toCustomerResponse) };
  }

  @Get(':id')
  @RequiredScope('read')
  @ApiEndpoint({ summary: 'Get a customer (deleted ones too, with deletedAt)', response: CustomerResponse, errors: [400, 404] })
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<CustomerResponse> {
    return toCustomerResponse(await this.customers.get(id));
  }

  @Patch(':id')
  @RequiredScope('write')
  @ApiEndpoint({ summary: 'Update a customer (in Stripe and here)', response: CustomerResponse, errors: [400, 404, 409, 429, 502] })
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateCustomerDto): Promise<CustomerResponse> {
    return toCustomerResponse(await this.customers.update(id, dto));
  }

  @Delete(':id')
  @RequiredScope('write')
  @ApiEndpoint({
    summary: 'Delete a customer in Stripe; the row stays as a tombstone with deletedAt',
    response: CustomerResponse,
    errors: [400, 404, 429, 502],
  })
  async remove(@Param('id', ParseUUIDPipe) id: string): Promise<CustomerResponse> {
    return toCustomerResponse(await this.customers.remove(id));
  }
}
