import { randomFillSync } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { managerQuery } from '../database/prepared-query';

/** Our own event, as the feed, signed webhooks and NATS carry it. */
export interface DomainEvent<T = unknown> {
  id: string;
  type: string;
  createdAt: string;
  data: { object: T };
  previous: { status?: string | null; [field: string]: unknown } | null;
}

export interface NewDomainEvent<T = unknown> {
  /** e.g. `payment.succeeded` */
  type: string;
  /** e.g. `payment`; with objectId, the key that orders an object's events for every consumer. */
  objectType: string;
  /** Our id of the object (the uuid the GET route takes). */
  objectId: string;
  /** Exactly what the object's GET route returns. */
  object: T;
  previous?: DomainEvent['previous'];
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Random bytes drawn 4 KiB at a time: one randomBytes call per event id was ~2.5% of the webhook route's CPU
// (bench:webhooks:e2e profile); 256 ids share one now.
const pool = Buffer.alloc(4096);
let used = pool.length;
function random16(): Buffer {
  if (used + 16 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += 16;
  return pool.subarray(used - 16, used);
}

/** `evt_` + 26 base32 characters: time-ordered prefix (ms), random tail. */
export function newDomainEventId(now = Date.now()): string {
  let id = 'evt_';
  for (let i = 9; i >= 0; i--) id += ALPHABET[Math.floor(now / 32 ** i) % 32];
  for (const b of random16()) id += ALPHABET[b % 32];
  return id;
}

/** The events as the outbox stores them (each row's `payload`), made at `now`. */
export function toDomainEvents(events: NewDomainEvent[], now: Date): DomainEvent[] {
  return events.map<DomainEvent>((e) => ({
    id: newDomainEventId(now.getTime()),
    type: e.type,
    createdAt: now.toISOString(),
    data: { object: e.object },
    previous: e.previous ?? null,
  }));
}

/**
 * Writes events into the outbox with `manager`, which MUST be the transaction that makes the change
 * (the caller's EntityManager inside `transaction()`), so a rollback takes the events with it.
 */
export async function recordDomainEvents(manager: EntityManager, events: NewDomainEvent[]): Promise<DomainEvent[]> {
  if (!events.length) return [];
  const now = new Date();
  const written = toDomainEvents(events, now);
  const rows = written.map((event, i) => ({
    id: event.id,
    type: event.type,
    object_type: events[i].objectType,
    object_id: events[i].objectId,
    payload: event,
    created_at: now,
  }));
  // The batch as one JSON document: one statement text whatever the batch size, and node serialises the lot in
  // one JSON.stringify instead of escaping each payload into a parameter of its own. Rows keep their order (seq).
  // Unnamed (see managerQuery): prepared while bench:webhooks:e2e's "outbox off" rule existed, a named one went
  // on writing nothing after the rule was dropped, and events were silently lost in that bench.
  await managerQuery(
    manager,
    `INSERT INTO domain_events (id, type, object_type, object_id, payload, created_at)
     SELECT e.id, e.type, e.object_type, e.object_id, e.payload, e.created_at
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
              AS (id text, type text, object_type text, object_id text, payload jsonb, created_at timestamptz))
            WITH ORDINALITY AS e(id, type, object_type, object_id, payload, created_at, n)
      ORDER BY e.n`,
    [JSON.stringify(rows)],
  );
  return written;
}
