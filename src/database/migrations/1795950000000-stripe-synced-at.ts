import { MigrationInterface, QueryRunner } from 'typeorm';

export class StripeSyncedAt1795950000000 implements MigrationInterface {
  name = 'StripeSyncedAt1795950000000';

  // When (Stripe's clock, unix seconds) a row was last written from a fresh Stripe answer (our own call or a
  // retrieve). Such an answer already reflects every event created up to that second, so those events are
  // older news and must not overwrite it, even in the same second (where status order would otherwise decide).
  async up(q: QueryRunner): Promise<void> {
    for (const table of ['customers', 'payments', 'refunds']) await q.query(`ALTER TABLE ${table} ADD COLUMN stripe_synced_at bigint`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['customers', 'payments', 'refunds']) await q.query(`ALTER TABLE ${table} DROP COLUMN stripe_synced_at`);
  }
}
