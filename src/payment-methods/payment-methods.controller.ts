import { Controller, Delete, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequiredScope } from '../common/auth/required-scope.decorator';
import { ApiEndpoint } from '../common/http/api-endpoint.decorator';
import { Page, PageDto } from '../common/http/pagination';
import { ListPaymentMethodsQuery, PaymentMethodResponse, toPaymentMethodResponse } from './dto/payment-method.response';
import { PaymentMethodsService } from './payment-methods.service';

const PaymentMethodPage = PageDto(PaymentMethodResponse);

@ApiTags('customers')
@Controller('v1/customers/:customerId/payment-methods')
export class PaymentMethodsController {
  constructor(private readonly methods: PaymentMethodsService) {}

  @RequiredScope('read')
  @Get()
  @ApiEndpoint({
    summary: "A customer's saved payment methods, newest first (brand, last4, expiry only), with the default marked",
    response: PaymentMethodPage,
    errors: [400, 404],
  })
  async list(
    @Param('customerId', ParseUUIDPipe) customerId: string,
    @Query() query: ListPaymentMethodsQuery,
  ): Promise<Page<PaymentMethodResponse>> {
    const { page, defaultId } = await this.methods.list(customerId, query);
    return { ...page, data: page.data.map((pm) => toPaymentMethodResponse(pm, defaultId)) };
  }

  @RequiredScope('write')
  @Delete(':paymentMethodId')
  @ApiEndpoint({
    summary: 'Detach a saved payment method from the customer (at Stripe and here); it can no longer be charged',
    status: 204,
    response: Object,
    errors: [400, 404, 429, 502],
  })
  async detach(@Param('customerId', ParseUUIDPipe) customerId: string, @Param('paymentMethodId') paymentMethodId: string): Promise<void> {
    await this.methods.detach(customerId, paymentMethodId);
  }
}
