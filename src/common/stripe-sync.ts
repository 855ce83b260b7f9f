import type { EntityManager } from 'typeorm';

/**
 * The contract between the features that own Stripe-mirrored rows (customers, payments, refunds)
 * and everything that feeds them Stripe objects (webhooks, reconciliation, ?sync=true).
 */

/** Key under which every Stripe object this service creates carries our row id. */
export const LOCAL_ID_METADATA_KEY = 'payments_service_id';

export type ApplyResult =
  /** The local row now reflects the object. */
  | 'applied'
  /** The row already holds a newer or final state; nothing changed. */
  | 'stale'
  /** The object carries our id in its metadata but the row is not committed yet (API call and webhook raced): try again later. */
  | 'not_yet'
  /** Not created by this service (no row, no metadata pointing to one): record, do not apply. */
  | 'foreign';

export interface ApplyOptions {
  /** `created` (unix seconds) of the event that carried the object; absent for a fresh retrieve from Stripe. */
  eventCreated?: number;
  /**
   * The caller's transaction: when given, the apply (row, its domain events) runs inside it and opens
   * none of its own, so a worker can apply a claimed batch in one transaction.
   */
  manager?: EntityManager;
  /**
   * Adopt an object that carries our id but has no row once it is this old (seconds, by its `created`):
   * the webhook path sets it; absent, such an object stays `not_yet`.
   */
  adoptAfterSeconds?: number;
}
