import { Column, Entity, PrimaryColumn } from 'typeorm';

export type WebhookEventStatus = 'pending' | 'processing' | 'processed' | 'failed' | 'ignored';
export const WEBHOOK_EVENT_STATUSES: readonly WebhookEventStatus[] = ['pending', 'processing', 'processed', 'failed', 'ignored'];

/** The inbox: one row per Stripe event id, whichever way (delivery or reconciliation) it came in. */
@Entity('webhook_events')
export class WebhookEventEntity {
  @PrimaryColumn('text')
  id: string;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'boolean' })
  livemode: boolean;

  @Column({ name: 'api_version', type: 'text', nullable: true })
  apiVersion: string | null;

  /** The event's `created` (unix seconds): the order key of the stale-event guards. */
  @Column({ name: 'stripe_created', type: 'bigint', transformer: { to: (v?: number) => v, from: (v: string) => Number(v) } })
  stripeCreated: number;

  @Column({ name: 'object_id', type: 'text', nullable: true })
  objectId: string | null;

  /** The event as Stripe sent it (json keeps the received text; see migration 1796100000000). */
  @Column({ type: 'json' })
  payload: Record<string, unknown>;

  @Column({ type: 'text' })
  status: WebhookEventStatus;

  @Column({ type: 'text' })
  source: 'webhook' | 'reconciliation';

  @Column({ type: 'integer' })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt: Date;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ type: 'text', nullable: true })
  note: string | null;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt: Date | null;
}
