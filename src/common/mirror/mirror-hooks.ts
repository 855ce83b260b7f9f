/**
 * Seams for tests that must force an interleaving or a failure at an exact point of an apply, without
 * sleeps. Production never sets them. Each receives the table and the Stripe id being applied.
 */
export const mirrorHooks: {
  /** After the row lookup (and its lock) inside the apply's transaction; `found` says whether a row exists. */
  afterLookup?: (table: string, stripeId: string, found: boolean) => Promise<void> | void;
  /** After the row and its domain events are written, before the transaction commits. Throw to roll back. */
  beforeCommit?: (table: string, stripeId: string) => Promise<void> | void;
} = {};
