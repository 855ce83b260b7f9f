import type { DataSource, ObjectLiteral } from 'typeorm';
import { entityFromRow } from '../../database/entity-from-row';
import { jsonbOrdered } from '../../database/jsonb-order';
import { preparedQuery } from '../../database/prepared-query';
import { toDomainEvents } from '../../events/domain-event';
import { stripeAnswerTime } from '../stripe/stripe-freshness';
import { retryWhenVictim } from '../database/transaction-retry';
import { operationContext, responseText } from '../idempotency/operation-context';
import type { MirrorDeclaration } from './mirror-declaration';
import { changeEvents, columnPlaceholders, columnValues, insertState } from './mirror-rows';

type Raw = Record<string, unknown>;

/** One statement text (and its prepared name) per table and column list. */
const statements = new Map<string, { name: string; text: string }>();

function statementFor<O, E extends ObjectLiteral>(decl: MirrorDeclaration<O, E>, columns: string[]) {
  const { table, objectType } = decl;
  const key = `${table}(${columns.join(',')})`;
  let statement = statements.get(key);
  if (!statement) {
    const n = columns.length;
    const values = columnPlaceholders(decl, columns);
    // Events and the idempotency completion are written only if the row was (ON CONFLICT: nothing at all).
    const text = `WITH created AS (
        INSERT INTO ${table} (id, ${columns.join(', ')}, stripe_event_created, stripe_synced_at, created_at, updated_at)
        VALUES ($1, ${values.join(', ')}, NULL, $${n + 2}, $${n + 3}, $${n + 3})
        ON CONFLICT DO NOTHING
        RETURNING id
      ), events AS (
        INSERT INTO domain_events (id, type, object_type, object_id, payload, created_at)
        SELECT e.event->>'id', e.event->>'type', '${objectType}', created.id::text, e.event, $${n + 3}
          FROM created, jsonb_array_elements($${n + 4}::jsonb) WITH ORDINALITY AS e(event, n)
         ORDER BY e.n
      ), operation AS (
        UPDATE idempotency_keys SET status = 'completed', locked_until = NULL, response_status = $${n + 6}, response_text = $${n + 7}
         WHERE id = $${n + 5} AND status = 'in_progress' AND EXISTS (SELECT 1 FROM created)
      )
      SELECT id FROM created`;
    statement = { name: `${table}_create_${statements.size}`, text };
    statements.set(key, statement);
  }
  return statement;
}

/**
 * The row of an object Stripe just created for us, its domain events (those of a new row) and, on the API path,
 * the completion of the request's idempotency record, in ONE statement: one round trip and one commit where
 * StripeMirror.create takes five (BEGIN, row, events, record, COMMIT), with the same all-or-nothing. The row,
 * the events' copy of it and the stored answer are computed before the write from exactly the values written
 * (timestamps from our clock, jsonb in its stored key order, the entity's declared defaults for the columns the
 * object does not set), so they equal what a later read of the row gives. undefined: a row with this id or
 * Stripe id exists already (a retry, or a webhook adopted the object first); the caller applies the answer then.
 */
export async function createInOneStatement<O, E extends ObjectLiteral>(
  db: DataSource,
  decl: MirrorDeclaration<O, E>,
  id: string,
  object: O,
  extra: Raw,
  answeredAt = stripeAnswerTime(object),
): Promise<E | undefined> {
  const state = insertState(decl, object, extra);
  for (const col of decl.jsonColumns ?? []) if (col in state) state[col] = jsonbOrdered(state[col]);
  const now = new Date();
  const repository = db.getRepository(decl.entity);
  const row: Raw = {};
  for (const column of repository.metadata.columns) {
    const declared = column.default as unknown;
    row[column.databaseName] = ['string', 'number', 'boolean'].includes(typeof declared) ? declared : null;
  }
  Object.assign(row, state, { id, stripe_event_created: null, stripe_synced_at: answeredAt, created_at: now, updated_at: now });
  const entity = entityFromRow(repository, row);
  const response = decl.response(entity);
  const events = toDomainEvents(changeEvents(decl, null, entity, response), now);
  const operation = operationContext.getStore();
  const completes = operation && !operation.completed ? operation : undefined;
  const columns = Object.keys(state);
  const { name, text } = statementFor(decl, columns);
  const written = await retryWhenVictim(() =>
    preparedQuery(db, name, text, [
      id,
      ...columnValues(decl, state),
      answeredAt,
      now,
      JSON.stringify(events),
      completes?.operationId ?? null,
      completes?.successStatus ?? null,
      completes ? responseText(response) : null,
    ]),
  );
  if (!written.length) return undefined;
  if (completes) completes.completed = true;
  return entity;
}
