import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox of our own domain events (issue #12): a row is written in the same
 * transaction as the state change it describes, so there is no event without its change and no change
 * without its event. `seq` orders the feed; `txid` lets readers stop before rows whose transaction may
 * still commit with a lower seq (an identity value is taken at INSERT, not at COMMIT).
 */
export class DomainEvents1796200000000 implements MigrationInterface {
  name = 'DomainEvents1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE domain_events (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id text NOT NULL UNIQUE,
      type text NOT NULL,
      object_type text NOT NULL,
      object_id text NOT NULL,
      payload jsonb NOT NULL,
      txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX domain_events_object ON domain_events (object_id, seq)`);
    await q.query(`CREATE INDEX domain_events_type ON domain_events (type, seq)`);
    await q.query(`CREATE INDEX domain_events_created ON domain_events (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE domain_events`);
  }
}
