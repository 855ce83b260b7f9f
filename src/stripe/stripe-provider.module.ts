import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { StripeModule } from '@app/stripe';
import type { AppConfig } from '../config/configuration';
import { StripeConfigController } from './stripe-config.controller';
import { recordStripeAttempt } from './stripe-metrics';

/** Wires the reusable Stripe library to this service's configuration, once, globally. */
@Module({
  imports: [
    StripeModule.forRootAsync({
      isGlobal: true,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => ({
        ...config.get('stripe', { infer: true }),
        production: config.get('app.env', { infer: true }) === 'production',
        appInfo: { name: 'payments-service', version: process.env.npm_package_version ?? '0.1.0' },
        webhookPath: '/v1/webhooks/stripe',
        onAttempt: recordStripeAttempt,
      }),
    }),
  ],
  controllers: [StripeConfigController],
})
export class StripeProviderModule {}
