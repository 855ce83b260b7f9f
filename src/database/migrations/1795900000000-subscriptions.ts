import { MigrationInterface, QueryRunner } from 'typeorm';

export class Subscriptions1795900000000 implements MigrationInterface {
  name = 'Subscriptions1795900000000';

  async up(q: QueryRunner): Promise<void> {
    // Status is Stripe's, verbatim; the latest invoice is kept flat because callers only ever need the latest one.
    await q.query(`
      CREATE TABLE subscriptions (
        id uuid PRIMARY KEY,
        stripe_subscription_id text NOT NULL,
        customer_id uuid NOT NULL REFERENCES customers (id),
        status text NOT NULL CHECK (status IN ('incomplete','incomplete_expired','trialing','active','past_due','canceled','unpaid','paused')),
        price_id text NOT NULL,
        quantity int NOT NULL CHECK (quantity > 0),
        cancel_at_period_end boolean NOT NULL DEFAULT false,
        current_period_end timestamptz,
        latest_invoice_id text,
        latest_invoice_status text,
        latest_invoice_amount_due bigint,
        latest_invoice_currency text,
        latest_invoice_payment_status text,
        latest_invoice_created bigint,
        client_secret text,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        stripe_event_created bigint,
        canceled_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT subscriptions_stripe_subscription_id_key UNIQUE (stripe_subscription_id)
      )`);
    await q.query(`CREATE INDEX subscriptions_customer_created_idx ON subscriptions (customer_id, created_at)`);
    await q.query(`CREATE INDEX subscriptions_status_updated_idx ON subscriptions (status, updated_at)`);
    await q.query(`CREATE INDEX subscriptions_created_idx ON subscriptions (created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE subscriptions`);
  }
}
