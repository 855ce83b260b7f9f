import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The claim's per-object head check ("no earlier unfinished event of this object for this endpoint") must be
 * served by (endpoint_id, object_key, event_seq). With the same partial predicate as the other two indexes,
 * a table that has no statistics yet (created empty by a migration, then a first burst) makes every partial
 * index look empty, and PostgreSQL picked notification_deliveries_due for the check: all of the endpoint's
 * pending rows per candidate, 16 ms per claim of 8 at 10,000 pending. Spelled differently (the same rows,
 * given the status CHECK), this predicate is implied only by the head check's own condition, so no other
 * partial index can serve it, whatever the statistics say.
 */
export class NotificationDeliveriesObjectHead1797600000000 implements MigrationInterface {
  name = 'NotificationDeliveriesObjectHead1797600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX notification_deliveries_object_unfinished ON notification_deliveries (endpoint_id, object_key, event_seq)
                    WHERE status NOT IN ('delivered', 'dead')`);
    await q.query(`DROP INDEX notification_deliveries_object`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX notification_deliveries_object ON notification_deliveries (endpoint_id, object_key, event_seq)
                    WHERE status IN ('pending', 'sending')`);
    await q.query(`DROP INDEX notification_deliveries_object_unfinished`);
  }
}
