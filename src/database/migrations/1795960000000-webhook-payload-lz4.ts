import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inbox payloads are ~2-5 KB of JSON, just over the TOAST threshold, so every insert compresses one.
 * lz4 does that several times faster than the default pglz, on the receiving hot path. Servers built
 * without lz4 (or older than PostgreSQL 14) keep pglz: the statement is skipped, not failed.
 */
export class WebhookPayloadLz41795960000000 implements MigrationInterface {
  name = 'WebhookPayloadLz41795960000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$ BEGIN
        ALTER TABLE webhook_events ALTER COLUMN payload SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
        RAISE NOTICE 'lz4 not available: webhook_events.payload keeps the default compression';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DO $$ BEGIN ALTER TABLE webhook_events ALTER COLUMN payload SET COMPRESSION default; EXCEPTION WHEN OTHERS THEN NULL; END $$`,
    );
  }
}
