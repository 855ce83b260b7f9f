import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * #16: claims and status changes whose cost does not grow with the backlog.
 * - The claim orders by `next_attempt_at` and filters on it, so one ordered range scan of this partial
 *   index serves both (the old claim filtered on (status, next_attempt_at) but ordered by
 *   (stripe_created, received_at) and sorted the whole due backlog each time). A claimed row's
 *   next_attempt_at is set to its lease's end, so an expired lease is found by the same scan.
 *   Processed rows leave the partial index: the scan never wades through history.
 * - toast_tuple_target = 128 moves the (compressed) payload out of the heap row into TOAST at insert;
 *   an UPDATE of the status then keeps the TOAST pointer instead of copying the payload into the new row
 *   version (the payload is written once; heap and WAL per status change shrink to the narrow row).
 *   Rows stored before this migration keep their inline payload until they leave the table.
 */
export class WebhookInboxClaim1797200000000 implements MigrationInterface {
  name = 'WebhookInboxClaim1797200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX webhook_events_due_idx ON webhook_events (next_attempt_at) WHERE status IN ('pending', 'processing')`);
    await q.query(`DROP INDEX webhook_events_claim_idx`);
    await q.query(`ALTER TABLE webhook_events SET (toast_tuple_target = 128)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_events RESET (toast_tuple_target)`);
    await q.query(
      `CREATE INDEX webhook_events_claim_idx ON webhook_events (status, next_attempt_at) WHERE status IN ('pending', 'processing')`,
    );
    await q.query(`DROP INDEX webhook_events_due_idx`);
  }
}
