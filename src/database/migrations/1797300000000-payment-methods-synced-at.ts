import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payment methods move onto the mirror mechanism (issue #13): like every mirrored row they remember
 * Stripe's time of the last fresh answer, so an event not newer than it is known to be older news.
 */
export class PaymentMethodsSyncedAt1797300000000 implements MigrationInterface {
  name = 'PaymentMethodsSyncedAt1797300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_methods ADD COLUMN stripe_synced_at bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_methods DROP COLUMN stripe_synced_at`);
  }
}
