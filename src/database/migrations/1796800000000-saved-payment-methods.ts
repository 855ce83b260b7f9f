import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Saved payment methods (issue #13): SetupIntents mirrored like payments, the cards attached to each
 * customer (display fields only: brand, last4, expiry, funding, country; never more card data), and the
 * customer's default card (Stripe's invoice_settings.default_payment_method).
 */
export class SavedPaymentMethods1796800000000 implements MigrationInterface {
  name = 'SavedPaymentMethods1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE setup_intents (
      id uuid PRIMARY KEY,
      customer_id uuid NOT NULL REFERENCES customers(id),
      stripe_setup_intent_id text NOT NULL UNIQUE,
      status text NOT NULL,
      usage text NOT NULL,
      client_secret text,
      payment_method text,
      next_action jsonb,
      last_setup_error jsonb,
      metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
      stripe_event_created bigint,
      stripe_synced_at bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX setup_intents_customer ON setup_intents (customer_id, created_at DESC, id DESC)`);
    await q.query(`CREATE TABLE payment_methods (
      id text PRIMARY KEY,
      customer_id uuid NOT NULL REFERENCES customers(id),
      type text NOT NULL,
      card jsonb,
      stripe_event_created bigint,
      -- Detaching is final at Stripe (a detached PaymentMethod cannot be attached again): a tombstone
      -- keeps a late payment_method.attached from bringing it back.
      detached_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX payment_methods_customer ON payment_methods (customer_id, created_at DESC, id DESC)`);
    await q.query(`ALTER TABLE customers ADD COLUMN default_payment_method text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customers DROP COLUMN default_payment_method`);
    await q.query(`DROP TABLE payment_methods`);
    await q.query(`DROP TABLE setup_intents`);
  }
}
