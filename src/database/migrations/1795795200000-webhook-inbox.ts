import { MigrationInterface, QueryRunner } from 'typeorm';

export class WebhookInbox1795795200000 implements MigrationInterface {
  name = 'WebhookInbox1795795200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_events (
        id text PRIMARY KEY,
        type text NOT NULL,
        livemode boolean NOT NULL,
        api_version text,
        stripe_created bigint NOT NULL,
        object_id text,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'processed', 'failed', 'ignored')),
        source text NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook', 'reconciliation')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        locked_until timestamptz,
        last_error text,
        note text,
        received_at timestamptz NOT NULL DEFAULT now(),
        processed_at timestamptz
      )`);
    // Claiming scans only what is due; operators list by status, newest first.
    await q.query(
      `CREATE INDEX webhook_events_claim_idx ON webhook_events (status, next_attempt_at) WHERE status IN ('pending', 'processing')`,
    );
    await q.query(`CREATE INDEX webhook_events_status_received_idx ON webhook_events (status, received_at DESC, id)`);
    await q.query(`
      CREATE TABLE stripe_sync_state (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stripe_sync_state`);
    await q.query(`DROP TABLE webhook_events`);
  }
}
