import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PollingLoop } from '../common/polling-loop';
import { preparedQuery } from '../database/prepared-query';
import type { AppConfig } from '../config/configuration';
import { OutboxHorizon } from '../events/outbox-horizon.service';
import { DeliveredRecorder } from './delivered-recorder';
import { endpointUrlProblem } from './endpoint-url';
import { postSigned, signatureHeaders, type PostResult } from './signed-post';

const POLL_MS = 250;

interface Claimed {
  event_seq: string;
  event_id: string;
  attempts: number;
  /** This claim's locked_until, exactly (text): the row is still ours while it carries it. */
  lease: string;
  body: string;
}

interface Target {
  id: string;
  url: string;
  secret: string;
  previous_secret: string | null;
}

/** Where one claim's deliveries go, or why they may not. */
type Destination = { url: URL; secrets: string[] } | { problem: string };

// Fan-out, in the transaction that moves the outbox horizon: one delivery per (endpoint, event) it subscribes to.
// The endpoints are locked against deletion first (FOR KEY SHARE, what the foreign key's check takes anyway): an
// endpoint deleted meanwhile is skipped once the DELETE commits, where the check would fail the whole step.
const FAN_OUT_SQL = `
  WITH n AS (SELECT id, events, created_at FROM notification_endpoints WHERE enabled FOR KEY SHARE)
  INSERT INTO notification_deliveries (endpoint_id, event_seq, event_id, object_key)
  SELECT n.id, e.seq, e.id, e.object_type || ':' || e.object_id
    FROM domain_events e
    JOIN n ON (n.events @> '{*}' OR e.type = ANY (n.events)) AND e.created_at >= n.created_at
   WHERE e.seq > $1 AND e.seq <= $2
  ON CONFLICT DO NOTHING`;

// Endpoints that may have something due: the earliest next_attempt_at of their unfinished deliveries, read
// from notification_deliveries_due as a min() (the only index in that order), never a join over the rows.
// An in-flight delivery counts (its next_attempt_at is past), so a lapsed lease is found.
const TARGETS_SQL = `
  SELECT n.id, n.url, n.secret, CASE WHEN n.previous_secret_expires_at > now() THEN n.previous_secret END AS previous_secret
    FROM notification_endpoints n
   WHERE n.enabled AND (SELECT min(d.next_attempt_at) FROM notification_deliveries d
                         WHERE d.endpoint_id = n.id AND d.status = 'pending') <= now()`;

// Due heads only: a delivery waits while an earlier event of the same object is unfinished for this endpoint
// (pending retry or in flight); other objects are claimed past it. In flight is a lease on a pending row
// (migration 1797700000000): the claim changes no indexed column, so it is a HOT update. A lapsed lease
// (crashed sender) is due again.
// The endpoint's unfinished deliveries are walked in event order (notification_deliveries_in_order) until
// $2 heads are found; the head check's status condition is the predicate of
// notification_deliveries_object_unfinished alone (migration 1797600000000), so it is one index probe per
// candidate with or without statistics.
const CLAIM_SQL = `
  UPDATE notification_deliveries d
     SET attempts = d.attempts + 1, locked_until = now() + make_interval(secs => $3)
    FROM (SELECT c.endpoint_id, c.event_seq FROM notification_deliveries c
           WHERE c.endpoint_id = $1 AND c.status = 'pending' AND c.next_attempt_at <= now()
             AND (c.locked_until IS NULL OR c.locked_until < now())
             AND NOT EXISTS (SELECT 1 FROM notification_deliveries p
                              WHERE p.endpoint_id = c.endpoint_id AND p.object_key = c.object_key
                                AND p.event_seq < c.event_seq AND p.status NOT IN ('delivered', 'dead'))
           ORDER BY c.event_seq LIMIT $2
           FOR UPDATE OF c SKIP LOCKED) h
   WHERE d.endpoint_id = h.endpoint_id AND d.event_seq = h.event_seq
  RETURNING d.event_seq, d.event_id, d.attempts, d.locked_until::text AS lease,
            (SELECT payload::text FROM domain_events e WHERE e.seq = d.event_seq) AS body`;

// Still ours: the row carries this claim's lease (a lapsed lease claimed again carries another; a recorded row
// none). No status condition, so only the primary key can serve it: with one, a young table's partial indexes
// looked empty and PostgreSQL walked the endpoint's unfinished rows to find one row.
const HELD = `endpoint_id = $1 AND event_seq = $2 AND locked_until = $3::timestamptz`;

/**
 * Delivers our events to the registered endpoints, signed per Standard Webhooks. Every instance runs one:
 * claims are FOR UPDATE SKIP LOCKED with a lease, so each (endpoint, event) is sent by one instance at a
 * time, and a receiver that answers 2xx gets it once in effect (webhook-id lets it drop a repeat after a crash).
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly settings: AppConfig['notifications'];
  private readonly loop = new PollingLoop('Notification deliveries', () => this.claimAndSend(), POLL_MS, this.logger);
  private readonly inFlight = new Map<string, number>();
  private readonly sends = new Set<Promise<void>>();
  private readonly delivered: DeliveredRecorder;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    horizon: OutboxHorizon,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('notifications', { infer: true });
    this.delivered = new DeliveredRecorder(dataSource, () => this.loop.nudge());
    horizon.onAdvance((manager, after, upTo) => manager.query(FAN_OUT_SQL, [after, upTo]));
    horizon.onAdvanced(() => this.loop.nudge());
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.sends]);
  }

  nudge(): void {
    this.loop.nudge();
  }

  /** Starts sends for every endpoint with due deliveries and free slots; they finish in the background. */
  private async claimAndSend(): Promise<boolean> {
    const targets = await preparedQuery<Target>(this.dataSource, undefined, TARGETS_SQL, []);
    const leaseSeconds = this.settings.timeoutMs / 1000 + 30;
    for (const target of targets) {
      // NOTIFICATION_MAX_IN_FLIGHT requests per endpoint and instance: a slow receiver ties up its own slots, never
      // another's. Slots are freed when results are recorded (in groups), and a claim takes every free slot's worth:
      // for a fast receiver, room for more than it has in flight means few large claims instead of many small ones
      // (bench:webhooks:e2e closed loop: CPU per delivered event with 128 about half that with 32; 512 no better).
      const free = this.settings.maxInFlight - (this.inFlight.get(target.id) ?? 0);
      if (free <= 0) continue;
      const claimed = await preparedQuery<Claimed>(this.dataSource, undefined, CLAIM_SQL, [target.id, free, leaseSeconds]);
      if (claimed.length === 0) continue;
      // Checked again before sending (the URL may have been registered under other rules), once per claim.
      const problem = endpointUrlProblem(target.url, this.settings.allowedHosts);
      const to: Destination = problem
        ? { problem }
        : { url: new URL(target.url), secrets: target.previous_secret ? [target.secret, target.previous_secret] : [target.secret] };
      for (const delivery of claimed) this.track(target.id, to, delivery);
    }
    return false;
  }

  private track(endpointId: string, to: Destination, delivery: Claimed): void {
    this.inFlight.set(endpointId, (this.inFlight.get(endpointId) ?? 0) + 1);
    const send = this.send(endpointId, to, delivery)
      .catch((err: unknown) => this.logger.error({ err, endpointId, eventId: delivery.event_id }, 'Recording a delivery failed'))
      .finally(() => {
        this.inFlight.set(endpointId, (this.inFlight.get(endpointId) ?? 1) - 1);
        this.sends.delete(send);
      });
    this.sends.add(send);
  }

  private async send(endpointId: string, to: Destination, delivery: Claimed): Promise<void> {
    const result: PostResult =
      'problem' in to
        ? { ok: false, statusCode: null, durationMs: 0, error: to.problem }
        : await postSigned(to.url, signatureHeaders(delivery.event_id, delivery.body, to.secrets), delivery.body, this.settings.timeoutMs);
    if (result.ok)
      await this.delivered.record({
        endpointId,
        eventSeq: delivery.event_seq,
        lease: delivery.lease,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
      });
    else {
      await this.recordFailure(endpointId, delivery, result);
      this.loop.nudge();
    }
  }

  /** One statement per failure (rare): the retry or dead letter, its attempt, and the endpoint's failure clock. */
  private async recordFailure(endpointId: string, delivery: Claimed, result: PostResult): Promise<void> {
    const held = [endpointId, delivery.event_seq, delivery.lease];
    const attempt = `INSERT INTO notification_attempts (endpoint_id, event_seq, event_id, attempt, outcome, status_code, duration_ms, error, next_retry_at)
                     SELECT endpoint_id, event_seq, event_id, attempts, $4::text, $5::int, $6::int, $7::text, $8::timestamptz FROM d`;
    const facts = [result.statusCode, result.durationMs];
    const error = result.error ?? `answered ${result.statusCode}`;
    const schedule = this.settings.retryScheduleMs;
    const retry = delivery.attempts <= schedule.length;
    // Never sooner than the schedule says; up to 20% later, so failures that happened together spread out.
    const delayMs = retry ? Math.round(schedule[delivery.attempts - 1] * (1 + 0.2 * Math.random())) : 0;
    const next = retry ? new Date(Date.now() + delayMs) : null;
    const [rows]: [Array<{ enabled: boolean }>, number] = await this.dataSource.query(
      `WITH d AS (UPDATE notification_deliveries
                     SET status = $9::text, locked_until = NULL, next_attempt_at = COALESCE($8::timestamptz, next_attempt_at) WHERE ${HELD}
                  RETURNING endpoint_id, event_seq, event_id, attempts),
            a AS (${attempt})
       UPDATE notification_endpoints n
          SET failing_since = COALESCE(n.failing_since, now()),
              enabled = n.enabled AND NOT t.too_long,
              disabled_reason = CASE WHEN t.too_long
                                     THEN 'every delivery failed since ' || to_char(n.failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' (over ' || $10::int || ' h)'
                                     ELSE n.disabled_reason END
         FROM (SELECT COALESCE(failing_since < now() - make_interval(hours => $10::int), false) AS too_long
                 FROM notification_endpoints WHERE id = $1) t
        WHERE n.id = $1 AND EXISTS (SELECT 1 FROM d)
       RETURNING n.enabled`,
      [
        ...held,
        retry ? 'retry_scheduled' : 'dead_lettered',
        ...facts,
        error,
        next,
        retry ? 'pending' : 'dead',
        this.settings.disableAfterHours,
      ],
    );
    if (!retry)
      this.logger.warn({ endpointId, eventId: delivery.event_id, attempts: delivery.attempts, error }, 'Webhook delivery dead-lettered');
    if (rows[0]?.enabled === false) this.logger.warn({ endpointId }, 'Notification endpoint disabled after failing too long');
  }
}
