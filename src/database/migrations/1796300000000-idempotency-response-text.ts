import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A replay must be the exact bytes first sent (Stripe replays byte for byte). jsonb re-serialises: it
 * sorts keys and changes spacing, so the answer is now stored as the text that was sent. The column is
 * renamed too, so that any writer still casting to jsonb fails loudly instead of storing jsonb's
 * re-serialised text through PostgreSQL's implicit cast to text.
 */
export class IdempotencyResponseText1796300000000 implements MigrationInterface {
  name = 'IdempotencyResponseText1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys RENAME COLUMN response_body TO response_text`);
    await q.query(`ALTER TABLE idempotency_keys ALTER COLUMN response_text TYPE text USING response_text::text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys ALTER COLUMN response_text TYPE jsonb USING response_text::jsonb`);
    await q.query(`ALTER TABLE idempotency_keys RENAME COLUMN response_text TO response_body`);
  }
}
