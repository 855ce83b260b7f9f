import { CoreSchema1795708800000 } from './migrations/1795708800000-core-schema';
import { WebhookInbox1795795200000 } from './migrations/1795795200000-webhook-inbox';
import { PaymentsIdempotency1795800000000 } from './migrations/1795800000000-payments-idempotency';
import { Subscriptions1795900000000 } from './migrations/1795900000000-subscriptions';
import { StripeSyncedAt1795950000000 } from './migrations/1795950000000-stripe-synced-at';
import { WebhookPayloadLz41795960000000 } from './migrations/1795960000000-webhook-payload-lz4';
import { SubscriptionsSyncedAt1796000000000 } from './migrations/1796000000000-subscriptions-synced-at';
import { WebhookPayloadJson1796100000000 } from './migrations/1796100000000-webhook-payload-json';
import { DomainEvents1796200000000 } from './migrations/1796200000000-domain-events';
import { IdempotencyResponseText1796300000000 } from './migrations/1796300000000-idempotency-response-text';
import { Notifications1796500000000 } from './migrations/1796500000000-notifications';
import { SavedPaymentMethods1796800000000 } from './migrations/1796800000000-saved-payment-methods';
import { WebhookInboxClaim1797200000000 } from './migrations/1797200000000-webhook-inbox-claim';
import { PaymentMethodsSyncedAt1797300000000 } from './migrations/1797300000000-payment-methods-synced-at';
import { NotificationDeliveriesClaim1797500000000 } from './migrations/1797500000000-notification-deliveries-claim';
import { NotificationDeliveriesObjectHead1797600000000 } from './migrations/1797600000000-notification-deliveries-object-head';
import { NotificationDeliveriesLean1797700000000 } from './migrations/1797700000000-notification-deliveries-lean';

// Listed explicitly rather than globbed, so the same list works compiled, under Jest and in the CLI.
// `npm run migration:generate -- src/database/migrations/<name>` writes a new file: add it here.
export const migrations = [
  CoreSchema1795708800000,
  WebhookInbox1795795200000,
  PaymentsIdempotency1795800000000,
  Subscriptions1795900000000,
  StripeSyncedAt1795950000000,
  WebhookPayloadLz41795960000000,
  SubscriptionsSyncedAt1796000000000,
  WebhookPayloadJson1796100000000,
  DomainEvents1796200000000,
  IdempotencyResponseText1796300000000,
  Notifications1796500000000,
  SavedPaymentMethods1796800000000,
  WebhookInboxClaim1797200000000,
  PaymentMethodsSyncedAt1797300000000,
  NotificationDeliveriesClaim1797500000000,
  NotificationDeliveriesObjectHead1797600000000,
  NotificationDeliveriesLean1797700000000,
];
