import type { DataSource } from 'typeorm';
import { preparedCommand } from '../database/prepared-query';

export interface Delivered {
  endpointId: string;
  eventSeq: string;
  /** The claim's lease (locked_until as text): the row is still ours only while it carries it. */
  lease: string;
  statusCode: number | null;
  durationMs: number;
}

/** Rows per statement, so one group's parameters and plan stay small. */
const MAX_GROUP = 500;

// One statement per group, each row under the same condition as a single record (HELD in the worker, served
// by the primary key): a delivery whose lease lapsed and was claimed again is left to its new holder.
// A success is kept on the delivery row, not as an attempts row (migration 1797700000000): its place in the
// deliveries log is an id from the attempts' own sequence, taken in event order. An endpoint that was failing
// is healthy again.
const RECORD_DELIVERED_SQL = `
  WITH r AS (SELECT r.*, nextval('notification_attempts_id_seq') AS attempt_id
               FROM (SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::int[], $5::int[])
                                AS u(endpoint_id, event_seq, lease, status_code, duration_ms)
                      ORDER BY event_seq) r),
       d AS (UPDATE notification_deliveries d
                SET status = 'delivered', delivered_at = now(), locked_until = NULL, delivered_attempt_id = r.attempt_id,
                    delivered_status_code = r.status_code, delivered_duration_ms = r.duration_ms
               FROM r
              WHERE d.endpoint_id = r.endpoint_id AND d.event_seq = r.event_seq AND d.locked_until = r.lease
             RETURNING d.endpoint_id)
  UPDATE notification_endpoints SET failing_since = NULL
   WHERE id IN (SELECT endpoint_id FROM d) AND failing_since IS NOT NULL`;

interface Waiter {
  delivered: Delivered;
  done: (error?: unknown) => void;
}

/**
 * Records successful deliveries in groups, like a group commit: the first is written at once, and whatever
 * finishes while that statement runs is written by the next one. Under load a statement records dozens of
 * deliveries instead of one; alone, a delivery is recorded as soon as before.
 */
export class DeliveredRecorder {
  private queue: Waiter[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    /** After each group's statement, whether it committed or failed (slots were freed: look for more work). */
    private readonly onGroup: () => void,
  ) {}

  /** Resolves once the delivery's row is committed; rejects with the group's error. */
  record(delivered: Delivered): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ delivered, done: (error) => (error === undefined ? resolve() : reject(error)) });
      this.flushing ??= this.flush();
    });
  }

  /** Waits for every group written or queued so far. */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    // Cleared in the same turn the queue is found empty, so a record() right after starts a new flush.
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP);
        const rows = group.map((w) => w.delivered);
        let failure: unknown;
        try {
          await preparedCommand(this.dataSource, undefined, RECORD_DELIVERED_SQL, [
            rows.map((r) => r.endpointId),
            rows.map((r) => r.eventSeq),
            rows.map((r) => r.lease),
            rows.map((r) => r.statusCode),
            rows.map((r) => r.durationMs),
          ]);
        } catch (error) {
          failure = error ?? new Error('recording deliveries failed');
        }
        for (const w of group) w.done(failure);
        this.onGroup();
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
