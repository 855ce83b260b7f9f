/** What the receiving side needs to know about the Stripe account: satisfied by StripeContext from libs/stripe. */
export interface WebhookStripeContext {
  /** Every secret a delivery may be signed with (rotation: several), read per request. */
  readonly webhookSecrets: string[];
  /** The mode of the configured key; events of the other mode are stored as ignored. */
  readonly livemode: boolean;
}

export const WEBHOOK_STRIPE_CONTEXT = Symbol('WEBHOOK_STRIPE_CONTEXT');
