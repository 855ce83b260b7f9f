import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fewer writes per delivered event (#12: the outbox delivered to a receiver must cost at most 25% more CPU per
 * applied event than no outbox). Measured with pg_stat_statements in bench:webhooks:e2e, a delivery wrote ~25
 * WAL records: its row and five index entries at fan-out, a new row version and five index entries at the
 * claim (status 'sending' is in every partial index's predicate, so the claim was never a HOT update), and at
 * the record a new version, two index entries and an attempts row with its three entries and foreign-key lock.
 *
 * - In flight is a lease only: the claim sets locked_until and attempts, neither indexed, so with room on the
 *   page (fillfactor 50) it is a HOT update and touches no index. 'sending' is no longer written; existing
 *   in-flight rows keep their lease. (The partial indexes still name 'sending' in their predicates: harmless,
 *   and left so this migration does not rebuild them.)
 * - A success's facts live on the delivery row (delivered_status_code, delivered_duration_ms) with a place in
 *   the attempts' id order (delivered_attempt_id, from their sequence), instead of an attempts row. Failures
 *   stay attempts rows; a manual retry of a delivered event moves its success into the attempts first.
 * - No index on event_id (the retry route finds the seq through domain_events' unique id), and no foreign key
 *   to domain_events: its per-row check locked each event's row at fan-out. Event retention deletes the
 *   deliveries of the events it deletes itself.
 */
export class NotificationDeliveriesLean1797700000000 implements MigrationInterface {
  name = 'NotificationDeliveriesLean1797700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE notification_deliveries SET status = 'pending' WHERE status = 'sending'`);
    await q.query(`ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_status_check`);
    await q.query(`ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_status_check
                     CHECK (status IN ('pending', 'delivered', 'dead'))`);
    await q.query(`ALTER TABLE notification_deliveries
                     ADD COLUMN delivered_attempt_id bigint,
                     ADD COLUMN delivered_status_code integer,
                     ADD COLUMN delivered_duration_ms integer,
                     DROP CONSTRAINT notification_deliveries_event_seq_fkey,
                     SET (fillfactor = 50)`);
    // Successes already written as attempts rows stay there; the deliveries log reads both.
    await q.query(`CREATE INDEX notification_deliveries_delivered_log ON notification_deliveries (endpoint_id, delivered_attempt_id)
                    WHERE delivered_attempt_id IS NOT NULL`);
    await q.query(`DROP INDEX notification_deliveries_event`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`INSERT INTO notification_attempts
                     (id, endpoint_id, event_seq, event_id, attempt, outcome, status_code, duration_ms, created_at)
                   OVERRIDING SYSTEM VALUE
                   SELECT delivered_attempt_id, endpoint_id, event_seq, event_id, attempts, 'delivered', delivered_status_code,
                          delivered_duration_ms, delivered_at
                     FROM notification_deliveries WHERE delivered_attempt_id IS NOT NULL`);
    await q.query(`CREATE INDEX notification_deliveries_event ON notification_deliveries (event_id)`);
    await q.query(`DROP INDEX notification_deliveries_delivered_log`);
    await q.query(`DELETE FROM notification_deliveries d WHERE NOT EXISTS (SELECT 1 FROM domain_events e WHERE e.seq = d.event_seq)`);
    await q.query(`ALTER TABLE notification_deliveries
                     DROP COLUMN delivered_attempt_id,
                     DROP COLUMN delivered_status_code,
                     DROP COLUMN delivered_duration_ms,
                     ADD CONSTRAINT notification_deliveries_event_seq_fkey FOREIGN KEY (event_seq) REFERENCES domain_events (seq) ON DELETE CASCADE,
                     RESET (fillfactor)`);
    await q.query(`ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_status_check`);
    await q.query(`ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_status_check
                     CHECK (status IN ('pending', 'sending', 'delivered', 'dead'))`);
  }
}
