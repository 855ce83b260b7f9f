import { MigrationInterface, QueryRunner } from 'typeorm';

export class CoreSchema1795708800000 implements MigrationInterface {
  name = 'CoreSchema1795708800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customers (
        id uuid PRIMARY KEY,
        stripe_customer_id text NOT NULL,
        email text NOT NULL,
        name text,
        phone text,
        description text,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT customers_stripe_customer_id_key UNIQUE (stripe_customer_id)
      )`);
    await q.query(`CREATE INDEX customers_email_idx ON customers (email)`);
    await q.query(`
      CREATE TABLE payments (
        id uuid PRIMARY KEY,
        stripe_payment_intent_id text NOT NULL,
        customer_id uuid REFERENCES customers (id),
        amount bigint NOT NULL CHECK (amount > 0),
        amount_capturable bigint NOT NULL DEFAULT 0 CHECK (amount_capturable >= 0),
        amount_received bigint NOT NULL DEFAULT 0 CHECK (amount_received >= 0),
        amount_refunded bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0 AND amount_refunded <= amount_received),
        currency text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
        status text NOT NULL,
        capture_method text NOT NULL,
        client_secret text,
        next_action jsonb,
        last_payment_error jsonb,
        description text,
        receipt_email text,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT payments_stripe_payment_intent_id_key UNIQUE (stripe_payment_intent_id)
      )`);
    await q.query(`CREATE INDEX payments_customer_created_idx ON payments (customer_id, created_at)`);
    await q.query(`CREATE INDEX payments_status_updated_idx ON payments (status, updated_at)`);
    await q.query(`
      CREATE TABLE refunds (
        id uuid PRIMARY KEY,
        stripe_refund_id text NOT NULL,
        payment_id uuid NOT NULL REFERENCES payments (id),
        amount bigint NOT NULL CHECK (amount > 0),
        currency text NOT NULL,
        status text NOT NULL,
        reason text,
        failure_reason text,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT refunds_stripe_refund_id_key UNIQUE (stripe_refund_id)
      )`);
    await q.query(`CREATE INDEX refunds_payment_created_idx ON refunds (payment_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refunds`);
    await q.query(`DROP TABLE payments`);
    await q.query(`DROP TABLE customers`);
  }
}
