import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivery side of the outbox (issue #12).
 *
 * `outbox_cursors` holds how far each reader got. The row 'horizon' is the stable end of the outbox: every
 * event with seq <= position is committed and no transaction can still add one below it (an identity value
 * is taken at INSERT, not at COMMIT, so a visible seq may have a still-running lower one beside it). Holes
 * are waited for until every transaction that was running when the hole was first seen has ended
 * (hole_horizon = that snapshot's xmax, compared with pg_snapshot_xmin). The feed, the webhook fan-out and
 * the NATS publisher ('nats') read only up to it, so no consumer's cursor ever skips a late commit.
 *
 * One notification_deliveries row per (endpoint, event) is the unit of retry and of per-object order;
 * notification_attempts keeps every attempt for operators.
 */
export class Notifications1796500000000 implements MigrationInterface {
  name = 'Notifications1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE outbox_cursors (
      name text PRIMARY KEY,
      position bigint NOT NULL DEFAULT 0,
      hole_horizon xid8,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`INSERT INTO outbox_cursors (name) VALUES ('horizon'), ('nats')`);

    await q.query(`CREATE TABLE notification_endpoints (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      url text NOT NULL,
      events text[] NOT NULL,
      description text,
      enabled boolean NOT NULL DEFAULT true,
      secret text NOT NULL,
      previous_secret text,
      previous_secret_expires_at timestamptz,
      failing_since timestamptz,
      disabled_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);

    await q.query(`CREATE TABLE notification_deliveries (
      endpoint_id uuid NOT NULL REFERENCES notification_endpoints (id) ON DELETE CASCADE,
      event_seq bigint NOT NULL REFERENCES domain_events (seq) ON DELETE CASCADE,
      event_id text NOT NULL,
      object_key text NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'delivered', 'dead')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      locked_until timestamptz,
      delivered_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (endpoint_id, event_seq)
    )`);
    // The claim looks for due heads per endpoint, and for an earlier unfinished event of the same object.
    await q.query(`CREATE INDEX notification_deliveries_due ON notification_deliveries (endpoint_id, next_attempt_at)
                    WHERE status IN ('pending', 'sending')`);
    await q.query(`CREATE INDEX notification_deliveries_object ON notification_deliveries (endpoint_id, object_key, event_seq)
                    WHERE status IN ('pending', 'sending')`);
    await q.query(`CREATE INDEX notification_deliveries_event ON notification_deliveries (event_id)`);

    await q.query(`CREATE TABLE notification_attempts (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      endpoint_id uuid NOT NULL,
      event_seq bigint NOT NULL,
      event_id text NOT NULL,
      attempt integer NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry_scheduled', 'dead_lettered')),
      status_code integer,
      duration_ms integer NOT NULL,
      error text,
      next_retry_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (endpoint_id, event_seq) REFERENCES notification_deliveries (endpoint_id, event_seq) ON DELETE CASCADE
    )`);
    await q.query(`CREATE INDEX notification_attempts_endpoint ON notification_attempts (endpoint_id, id)`);
    await q.query(`CREATE INDEX notification_attempts_delivery ON notification_attempts (endpoint_id, event_seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notification_attempts`);
    await q.query(`DROP TABLE notification_deliveries`);
    await q.query(`DROP TABLE notification_endpoints`);
    await q.query(`DROP TABLE outbox_cursors`);
  }
}
