import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StripeContext } from '@app/stripe';
import type { AppConfig } from '../config/configuration';
import { StripeSignatureGuard } from './stripe-signature.guard';
import { StripeWebhookController } from './stripe-webhook.controller';
import { WEBHOOK_STRIPE_CONTEXT, WebhookStripeContext } from './webhook-context';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookEventsController } from './webhook-events.controller';
import { WebhookEventsService } from './webhook-events.service';
import { WebhookInboxWriter } from './webhook-inbox.writer';
import { WebhookWorker } from './webhook-worker.service';

@Module({
  imports: [TypeOrmModule.forFeature([WebhookEventEntity])],
  controllers: [StripeWebhookController, WebhookEventsController],
  providers: [
    {
      // StripeContext (global StripeModule) knows the sandbox endpoint's secret too; without it, the configuration.
      provide: WEBHOOK_STRIPE_CONTEXT,
      inject: [ConfigService, { token: StripeContext, optional: true }],
      useFactory: (config: ConfigService<AppConfig, true>, context?: StripeContext): WebhookStripeContext => {
        if (context) return context;
        const stripe = config.get('stripe', { infer: true });
        return { webhookSecrets: stripe.webhookSecrets, livemode: /^(sk|rk)_live_/.test(stripe.secretKey ?? '') };
      },
    },
    StripeSignatureGuard,
    WebhookInboxWriter,
    WebhookDispatcher,
    WebhookWorker,
    WebhookEventsService,
  ],
  exports: [WebhookInboxWriter, WebhookWorker],
})
export class WebhooksModule {}
