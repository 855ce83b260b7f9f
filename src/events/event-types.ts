/**
 * Every type of our own domain events (issue #12), as endpoints subscribe to them and the feed filters
 * by them. The writer side (src/common apply path) emits these; a new type is added here first.
 */
export const DOMAIN_EVENT_TYPES = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'payment.created',
  'payment.requires_action',
  'payment.requires_capture',
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
  'refund.created',
  'refund.succeeded',
  'refund.failed',
  'subscription.created',
  'subscription.updated',
  'subscription.canceled',
  'setup_intent.succeeded',
  'payment_method.attached',
  'payment_method.detached',
] as const;

export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];
