import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { PollingLoop } from '../common/polling-loop';
import type { AppConfig } from '../config/configuration';
import { OutboxHorizon } from './outbox-horizon.service';

export const NATS_STREAM = 'PAYMENTS';
const SUBJECTS = 'payments.>';
const BATCH = 200;
const POLL_MS = 1000;
const PUBLISH_TIMEOUT_MS = 5000;

/**
 * Streams every event past the outbox horizon to JetStream (stream PAYMENTS, subject payments.<type>,
 * Nats-Msg-Id = event id) when NATS_URL is set. One instance publishes at a time (cursor row 'nats' claimed
 * with SKIP LOCKED), one event after the other, so an object's events are stored in order; the cursor moves
 * only past acknowledged publishes, so a crash between publish and mark publishes again and JetStream drops
 * the duplicate by its Msg-Id. While NATS is unreachable nothing is attempted: the API and webhooks never wait.
 */
@Injectable()
export class NatsPublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NatsPublisher.name);
  private readonly servers: string[] | undefined;
  private readonly loop = new PollingLoop('NATS publisher', () => this.publishBatch(), POLL_MS, this.logger);
  private connection: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private connected = false;
  private streamReady = false;
  private closing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    horizon: OutboxHorizon,
    config: ConfigService<AppConfig, true>,
  ) {
    this.servers = config.get('events', { infer: true }).natsUrl;
    horizon.onAdvanced(() => this.loop.nudge());
  }

  onApplicationBootstrap(): void {
    if (!this.servers) return;
    // In the background: the service boots and serves whether or not NATS is up.
    void this.connectForever();
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.loop.stop();
    await this.connection?.close().catch(() => undefined);
  }

  private async connectForever(): Promise<void> {
    try {
      const nc = await connect({
        servers: this.servers,
        name: 'payments-service',
        waitOnFirstConnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
      });
      if (this.closing) return void (await nc.close());
      this.connection = nc;
      this.js = jetstream(nc);
      this.connected = true;
      this.logger.log({ server: nc.getServer() }, 'Connected to NATS');
      this.loop.nudge();
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') {
          this.connected = false;
          this.logger.warn({ server: status.server }, 'NATS disconnected; events wait in the outbox until it is back');
        } else if (status.type === 'reconnect') {
          this.connected = true;
          this.streamReady = false;
          this.logger.log({ server: status.server }, 'NATS reconnected; publishing what waited');
          this.loop.nudge();
        }
      }
    } catch (err) {
      if (!this.closing) this.logger.error({ err }, 'NATS connection gave up; events are not streamed');
    }
  }

  private async ensureStream(): Promise<void> {
    if (this.streamReady || !this.connection) return;
    const jsm = await jetstreamManager(this.connection);
    try {
      await jsm.streams.info(NATS_STREAM);
    } catch {
      await jsm.streams.add({ name: NATS_STREAM, subjects: [SUBJECTS] });
      this.logger.log({ stream: NATS_STREAM }, 'Created the JetStream stream');
    }
    this.streamReady = true;
  }

  /** Publishes the next events in outbox order; true when more may be waiting. */
  private async publishBatch(): Promise<boolean> {
    if (!this.connected || !this.js) return false;
    await this.ensureStream();
    const js = this.js;
    return this.dataSource.transaction(async (manager) => {
      const [cursor]: Array<{ position: string }> = await manager.query(
        `SELECT position FROM outbox_cursors WHERE name = 'nats' FOR UPDATE SKIP LOCKED`,
      );
      if (!cursor) return false;
      const rows: Array<{ seq: string; id: string; type: string; body: string }> = await manager.query(
        `SELECT seq, id, type, payload::text AS body FROM domain_events
          WHERE seq > $1 AND seq <= (SELECT position FROM outbox_cursors WHERE name = 'horizon')
          ORDER BY seq LIMIT $2`,
        [cursor.position, BATCH],
      );
      let published = cursor.position;
      let failure: unknown;
      for (const row of rows) {
        try {
          await js.publish(`payments.${row.type}`, row.body, { msgID: row.id, timeout: PUBLISH_TIMEOUT_MS });
          published = row.seq;
        } catch (err) {
          failure = err;
          this.streamReady = false;
          break;
        }
      }
      if (published !== cursor.position)
        await manager.query(`UPDATE outbox_cursors SET position = $1, updated_at = now() WHERE name = 'nats'`, [published]);
      if (failure) {
        this.logger.warn({ err: failure }, 'Publishing to NATS failed; retrying from the same event');
        return false;
      }
      return rows.length === BATCH;
    });
  }
}
