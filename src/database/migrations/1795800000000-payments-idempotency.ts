import { MigrationInterface, QueryRunner } from 'typeorm';

export class PaymentsIdempotency1795800000000 implements MigrationInterface {
  name = 'PaymentsIdempotency1795800000000';

  async up(q: QueryRunner): Promise<void> {
    // Our API's Idempotency-Key records: the unique constraint, not memory, decides who runs a request.
    await q.query(`
      CREATE TABLE idempotency_keys (
        id uuid PRIMARY KEY,
        api_key_name text NOT NULL,
        key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
        request_method text NOT NULL,
        request_path text NOT NULL,
        request_hash text NOT NULL,
        status text NOT NULL CHECK (status IN ('in_progress', 'completed')),
        locked_until timestamptz,
        response_status int,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT idempotency_keys_api_key_name_key_key UNIQUE (api_key_name, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at)`);
    // `created` of the last Stripe event applied to each mirrored row: older events never overwrite newer state.
    for (const table of ['customers', 'payments', 'refunds']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN stripe_event_created bigint`);
    }
    // A refund is reserved (row written, amount held) before Stripe is called, so its Stripe id comes later.
    await q.query(`ALTER TABLE refunds ALTER COLUMN stripe_refund_id DROP NOT NULL`);
    await q.query(`CREATE INDEX payments_created_idx ON payments (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX customers_created_idx ON customers (created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX customers_created_idx`);
    await q.query(`DROP INDEX payments_created_idx`);
    await q.query(`DELETE FROM refunds WHERE stripe_refund_id IS NULL`);
    await q.query(`ALTER TABLE refunds ALTER COLUMN stripe_refund_id SET NOT NULL`);
    for (const table of ['customers', 'payments', 'refunds']) await q.query(`ALTER TABLE ${table} DROP COLUMN stripe_event_created`);
    await q.query(`DROP TABLE idempotency_keys`);
  }
}
