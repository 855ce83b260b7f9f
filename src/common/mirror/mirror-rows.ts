import type { ObjectLiteral } from 'typeorm';
import type { NewDomainEvent } from '../../events/domain-event';
import type { MirrorDeclaration } from './mirror-declaration';
import { storableText } from './mirror-text';

type Raw = Record<string, unknown>;

/** The columns a new row gets from the Stripe object, with the caller's extra ones (a keepWhenSet column is the caller's). */
export function insertState<O, E extends ObjectLiteral>(decl: MirrorDeclaration<O, E>, object: O, extra: Raw): Raw {
  const state: Raw = { ...extra, ...storableText(decl.state(object)) };
  for (const col of decl.keepWhenSet ?? []) if (col in extra) state[col] = extra[col];
  return state;
}

/** The placeholders of `columns` (from $2: $1 is the row's id), jsonb columns cast, matching columnValues. */
export function columnPlaceholders<O, E extends ObjectLiteral>(decl: MirrorDeclaration<O, E>, columns: string[]): string[] {
  return columns.map((col, i) => `$${i + 2}${decl.jsonColumns?.includes(col) ? '::jsonb' : ''}`);
}

/** Query parameters for `state`'s columns, in its key order: jsonb columns as JSON text, undefined as null. */
export function columnValues<O, E extends ObjectLiteral>(decl: MirrorDeclaration<O, E>, state: Raw): unknown[] {
  return Object.entries(state).map(([col, v]) =>
    decl.jsonColumns?.includes(col) && v !== null && v !== undefined ? JSON.stringify(v) : (v ?? null),
  );
}

/**
 * Our domain events for a change of one row from `previous` (null: new) to `next`, each carrying `object`
 * (default: what the GET route returns, computed only when there is an event).
 */
export function changeEvents<O, E extends ObjectLiteral>(
  decl: MirrorDeclaration<O, E>,
  previous: E | null,
  next: E,
  object?: unknown,
): NewDomainEvent[] {
  const specs = decl.events(previous, next);
  if (!specs.length) return [];
  const carried = object ?? decl.response(next);
  return specs.map((s) => ({
    type: s.type,
    objectType: decl.objectType,
    objectId: next.id as string,
    object: carried,
    previous: s.previous,
  }));
}
