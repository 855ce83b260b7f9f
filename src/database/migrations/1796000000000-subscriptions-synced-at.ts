import { MigrationInterface, QueryRunner } from 'typeorm';

/** Subscriptions get the same freshness mark payments and refunds have (Stripe's time of our last fresh answer). */
export class SubscriptionsSyncedAt1796000000000 implements MigrationInterface {
  name = 'SubscriptionsSyncedAt1796000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE subscriptions ADD COLUMN stripe_synced_at bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE subscriptions DROP COLUMN stripe_synced_at`);
  }
}
