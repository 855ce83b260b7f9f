import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { DomainEvent } from '../../events/domain-event';

/** One domain event a change produces (its `object` is always the response mapper's output). */
export interface MirrorEventSpec {
  type: string;
  previous?: DomainEvent['previous'];
}

/**
 * Everything the mirroring mechanism needs to know about one Stripe resource. A new resource (setup
 * intents, payment methods) is one of these, not another hand-written guarded UPDATE.
 */
export interface MirrorDeclaration<O, E extends ObjectLiteral> {
  entity: EntityTarget<E>;
  table: string;
  /** Domain event object type, e.g. `payment`. */
  objectType: string;
  /** Column holding Stripe's id (unique). Our id is always the `id` column. */
  stripeIdColumn: string;
  /** Stripe's id of the object (default: `object.id`). */
  stripeIdOf?(object: O): string;
  /** Our row id carried in the object (default: `metadata.payments_service_id`). */
  localIdOf?(object: O): string | null;
  /** Column values the Stripe object dictates (column name -> value); jsonb columns are listed below. */
  state(object: O): Record<string, unknown>;
  jsonColumns?: readonly string[];
  /** Columns where null from Stripe means "not in this answer": the stored value is kept (a client secret). */
  keepWhenNull?: readonly string[];
  /** Columns set once and then owned by someone else (a subscription's latest invoice). */
  keepWhenSet?: readonly string[];
  /** Stripe's status order: between two events of the same second, the later status wins. */
  statusOrder?: readonly string[];
  /** A row in a final state is never left (only the same status may be re-applied). */
  finalStatuses?: readonly string[];
  /** Status of a raw row or of a new state (defaults to its `status` column). */
  statusOf?(values: Record<string, unknown>): string | null;
  /**
   * An object that must apply whatever the event order says (a customer deletion is final and
   * idempotent). Default: none.
   */
  alwaysApplies?(object: O): boolean;
  /**
   * Columns of a row adopted from a Stripe object that carries our id but has no row (the call that
   * created it lost its answer). null: cannot be adopted (yet), e.g. its parent row is unknown.
   */
  adopt?(object: O, manager: EntityManager): Promise<Record<string, unknown> | null>;
  /**
   * Columns of a row for an object we did not create but own by its parent (a card attached at Stripe to
   * one of our customers): inserted under its Stripe id when first seen. null: foreign. Default: foreign.
   */
  insertUnknown?(object: O, manager: EntityManager): Promise<Record<string, unknown> | null>;
  /** Fresh copy from Stripe: the same-second tie-break and adoption use it. */
  retrieve?(stripeId: string): Promise<O>;
  /** What the GET route returns: the domain events' `data.object`. */
  response(entity: E): unknown;
  /** Domain events for a change from `previous` (null: the row is new) to `next`; [] for a no-op. */
  events(previous: E | null, next: E): MirrorEventSpec[];
}
