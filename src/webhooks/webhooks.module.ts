import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { StripeContext } from '@app/stripe';
import type { AppConfig } from '../config/configuration';
import { CustomersModule } from '../customers/customers.module';
import { PaymentsModule } from '../payments/payments.module';
import { RefundsModule } from '../refunds/refunds.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { PaymentMethodsModule } from '../payment-methods/payment-methods.module';
import { SetupIntentsModule } from '../setup-intents/setup-intents.module';
import { StripeSignatureGuard } from './stripe-signature.guard';
import { StripeWebhookController } from './stripe-webhook.controller';
import { WEBHOOK_STRIPE_CONTEXT, WebhookStripeContext } from './webhook-context';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookEventsController } from './webhook-events.controller';
import { WebhookEventsService } from './webhook-events.service';
import { WebhookInboxWriter } from './webhook-inbox.writer';
import { WebhookInboxMetrics } from './webhook-metrics';
import { WebhookRetention } from './webhook-retention.service';
import { WebhookWorker } from './webhook-worker.service';

/*
 * ORDER-SAFETY (issue #5): which of "re-fetch the object from Stripe" and "compare Stripe's state order
 * and the event's created with what is stored" this service uses, and why.
 *
 * Events apply the object snapshot they carry, under guards enforced by ONE mechanism for every resource
 * (src/common/mirror/stripe-mirror.ts: the row is locked, the guard decided on it, the row and its domain
 * events written in one transaction; each resource is a declaration, e.g. payments/payment.mirror.ts): a final state
 * (succeeded/canceled payment, failed/canceled refund, deleted customer) is never left; an event older
 * than the last one applied (by event.created) is skipped; within the same second the state later in
 * Stripe's order wins. So a payment_failed arriving after succeeded leaves it succeeded, and
 * refund.updated before refund.created converges whichever comes last. Our own API calls write Stripe's
 * fresh answer with its time (stripe_synced_at); an event not newer than that answer is stale, except
 * one from that very second showing another non-final state: it cannot be ordered by status (a decline
 * follows requires_confirmation), so that rare case alone re-fetches the object from Stripe.
 *
 * Why not re-fetch per event: one Stripe call per event would cap throughput at Stripe's rate limit
 * (25 req/s in sandbox, ~100 req/s live), make processing fail whenever Stripe is slow, and still race
 * with the next change. The embedded snapshot plus a monotonic guard converges without any call.
 * Re-fetching is kept where it pays: reconciliation (src/reconciliation) re-syncs rows stuck in a
 * non-final state past RECONCILE_STUCK_AFTER_SECONDS, which covers anything the events missed.
 *
 * Exactly once in effect: the inbox is unique on the event id (duplicates never become a second row);
 * a crash after applying but before marking processed re-applies the same snapshot, which the guards
 * turn into 'stale' (no second effect; amountRefunded is recomputed from refunds, never incremented).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([WebhookEventEntity]),
    CustomersModule,
    PaymentsModule,
    RefundsModule,
    SubscriptionsModule,
    PaymentMethodsModule,
    SetupIntentsModule,
  ],
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
    WebhookInboxMetrics,
    WebhookRetention,
  ],
  exports: [WebhookInboxWriter, WebhookWorker, WebhookRetention, WEBHOOK_STRIPE_CONTEXT],
})
export class WebhooksModule {}
