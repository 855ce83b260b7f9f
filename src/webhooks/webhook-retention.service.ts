import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { deleteInBatches } from '../common/delete-in-batches';
import type { AppConfig } from '../config/configuration';

const EVERY_MS = 60 * 60 * 1000;

/**
 * Deletes processed and ignored inbox rows received more than WEBHOOK_RETENTION_DAYS ago (Stripe itself
 * keeps events 30 days), in batches (short transactions, no long lock on the inbox). Failed rows
 * (dead letters) stay until an operator retries them. The claim never reads these rows (its index holds
 * only pending and processing ones): retention bounds the table's size, not the hot path's cost.
 */
@Injectable()
export class WebhookRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookRetention.name);
  private readonly retentionDays: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: ConfigService<AppConfig, true>,
  ) {
    this.retentionDays = config.get('webhooks.retentionDays', { infer: true });
  }

  onApplicationBootstrap(): void {
    const run = () => void this.sweep().catch((err: unknown) => this.logger.warn({ err }, 'Webhook inbox retention sweep failed'));
    this.timer = setInterval(run, EVERY_MS).unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes every expired inbox row; returns how many. */
  async sweep(): Promise<number> {
    // One index range per status (webhook_events_status_received_idx leads with status, received_at).
    const total = await deleteInBatches(
      this.dataSource,
      `DELETE FROM webhook_events WHERE id IN (
         SELECT id FROM webhook_events
          WHERE status IN ('processed', 'ignored') AND received_at < now() - make_interval(days => $1)
          LIMIT $2)`,
      [this.retentionDays],
    );
    if (total) this.logger.log({ deleted: total, retentionDays: this.retentionDays }, 'Expired webhook inbox rows deleted');
    return total;
  }
}
