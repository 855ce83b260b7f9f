import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { deleteInBatches } from '../common/delete-in-batches';
import type { AppConfig } from '../config/configuration';

const EVERY_MS = 60 * 60 * 1000;

/**
 * Deletes events older than EVENT_RETENTION_DAYS in small batches (short transactions, no long lock on
 * the outbox), never one a reader has not passed yet: below the horizon, and below the NATS cursor when
 * NATS is on. Their webhook deliveries go in the same statement (deliveries have no foreign key to the events,
 * see migration 1797700000000: one primary-key probe per endpoint and event), and the attempts with those (ON
 * DELETE CASCADE).
 */
@Injectable()
export class EventRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventRetention.name);
  private readonly settings: AppConfig['events'];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('events', { infer: true });
  }

  onApplicationBootstrap(): void {
    const run = () => void this.sweep().catch((err: unknown) => this.logger.warn({ err }, 'Event retention sweep failed'));
    this.timer = setInterval(run, EVERY_MS).unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes every expired event; returns how many. */
  async sweep(): Promise<number> {
    const cursors = this.settings.natsUrl ? `('horizon', 'nats')` : `('horizon')`;
    const total = await deleteInBatches(
      this.dataSource,
      `WITH expired AS (SELECT seq FROM domain_events
                          WHERE created_at < now() - make_interval(days => $1)
                            AND seq <= (SELECT min(position) FROM outbox_cursors WHERE name IN ${cursors})
                          ORDER BY created_at LIMIT $2
                          FOR UPDATE),
            deliveries AS (DELETE FROM notification_deliveries d USING expired, notification_endpoints n
                            WHERE d.endpoint_id = n.id AND d.event_seq = expired.seq)
       DELETE FROM domain_events WHERE seq IN (SELECT seq FROM expired)`,
      [this.settings.retentionDays],
    );
    if (total) this.logger.log({ deleted: total, retentionDays: this.settings.retentionDays }, 'Expired events deleted');
    return total;
  }
}
