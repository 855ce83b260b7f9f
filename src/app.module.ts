import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CommonModule } from './common/common.module';
import { MetricsModule } from './common/metrics/metrics.module';
import type { AppConfig } from './config/configuration';
import { StripeProviderModule } from './stripe/stripe-provider.module';
import { CustomersModule } from './customers/customers.module';
import { PaymentsModule } from './payments/payments.module';
import { RefundsModule } from './refunds/refunds.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { EventsModule } from './events/events.module';
import { NotificationsModule } from './notifications/notifications.module';
import { PaymentMethodsModule } from './payment-methods/payment-methods.module';
import { SetupIntentsModule } from './setup-intents/setup-intents.module';
import { CheckoutModule } from './checkout/checkout.module';

@Module({})
export class AppModule {
  /** The configuration is built (and validated) once by the caller, so main.ts and tests share one path. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, skipProcessEnv: true, load: [() => ({ ...config })] }),
        DatabaseModule,
        CommonModule,
        MetricsModule,
        HealthModule,
        RefundsModule,
        PaymentsModule,
        CustomersModule,
        StripeProviderModule,
        WebhooksModule,
        ReconciliationModule,
        SubscriptionsModule,
        EventsModule,
        NotificationsModule,
        PaymentMethodsModule,
        SetupIntentsModule,
        CheckoutModule.register(config.checkout.pageEnabled),
      ],
    };
  }
}
