import { DynamicModule, Module } from '@nestjs/common';
import { CustomersModule } from '../customers/customers.module';
import { PaymentMethodsModule } from '../payment-methods/payment-methods.module';
import { PaymentsModule } from '../payments/payments.module';
import { CheckoutController } from './checkout.controller';
import { CheckoutService } from './checkout.service';

/** The reference checkout page and its demo routes; absent unless CHECKOUT_PAGE_ENABLED. */
@Module({})
export class CheckoutModule {
  static register(enabled: boolean): DynamicModule {
    if (!enabled) return { module: CheckoutModule };
    return {
      module: CheckoutModule,
      imports: [CustomersModule, PaymentsModule, PaymentMethodsModule],
      controllers: [CheckoutController],
      providers: [CheckoutService],
    };
  }
}
