import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery claim takes an endpoint's unfinished deliveries in event order (ORDER BY event_seq LIMIT n).
 * With only (endpoint_id, next_attempt_at) to walk, it read and sorted every due row of the endpoint per claim,
 * and on a young table (no statistics yet: a first burst) PostgreSQL also checked each row's per-object
 * predecessor by scanning that same index: 10,000 pending deliveries to one endpoint stalled it for minutes
 * (found by bench:webhooks:e2e's delivered-outbox run). Walking this index in event order, a claim stops after
 * its n heads: 0.08 ms at 10,000 pending with statistics, 16 ms without.
 */
export class NotificationDeliveriesClaim1797500000000 implements MigrationInterface {
  name = 'NotificationDeliveriesClaim1797500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX notification_deliveries_in_order ON notification_deliveries (endpoint_id, event_seq)
                    WHERE status IN ('pending', 'sending')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX notification_deliveries_in_order`);
  }
}
