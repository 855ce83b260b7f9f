import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { counter, DURATION_BUCKETS, gauge, histogram, sampleBeforeScrape } from '../common/metrics/metrics';

export type WebhookReceiveResult = 'stored' | 'duplicate' | 'invalid_signature' | 'unstorable' | 'unavailable';

export const webhookEventsReceived = counter<'result'>({
  name: 'webhook_events_received_total',
  help: 'Stripe deliveries: stored (new in the inbox), duplicate (already there), invalid_signature, unstorable (400), unavailable (503, Stripe retries)',
  labelNames: ['result'],
});

export const webhookApplyDuration = histogram<'event_type' | 'result'>({
  name: 'webhook_apply_duration_seconds',
  help: 'Applying one inbox event through its feature, by event type and result (applied, stale, foreign, unhandled, not_yet, error)',
  labelNames: ['event_type', 'result'],
  buckets: DURATION_BUCKETS,
});

// Only the states an operator acts on: processed and ignored rows are history that grows forever (counting
// them would cost more each scrape); their rate is webhook_apply_duration_seconds_count.
const ACTIVE_STATUSES = ['pending', 'processing', 'failed'];

const inboxEvents = gauge<'status'>({
  name: 'webhook_inbox_events',
  help: 'Inbox rows by status: pending (due or waiting for a retry), processing (claimed), failed (dead letters)',
  labelNames: ['status'],
});

const oldestPendingAge = gauge({
  name: 'webhook_inbox_oldest_pending_age_seconds',
  help: 'Age of the oldest pending inbox event (0 when none): how far processing lags behind receiving',
});

/** Reads the inbox gauges from the database before a scrape, at most every 5 s (served by status indexes). */
@Injectable()
export class WebhookInboxMetrics implements OnModuleInit, OnModuleDestroy {
  private unregister?: () => void;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.unregister = sampleBeforeScrape(() => this.sample());
  }

  onModuleDestroy(): void {
    this.unregister?.();
  }

  private async sample(): Promise<void> {
    const [counts, [oldest]]: [Array<{ status: string; n: number }>, Array<{ age: number | null }>] = await Promise.all([
      this.dataSource.query(`SELECT status, count(*)::int AS n FROM webhook_events WHERE status = ANY($1) GROUP BY status`, [
        ACTIVE_STATUSES,
      ]),
      this.dataSource.query(
        `SELECT extract(epoch FROM now() - min(received_at))::float8 AS age FROM webhook_events WHERE status = 'pending'`,
      ),
    ]);
    for (const status of ACTIVE_STATUSES) inboxEvents.set({ status }, counts.find((c) => c.status === status)?.n ?? 0);
    oldestPendingAge.set(oldest?.age ?? 0);
  }
}
