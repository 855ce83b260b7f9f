import Stripe from 'stripe';
import type { EntityManager, ObjectLiteral } from 'typeorm';
import { NewDomainEvent, recordDomainEvents } from '../../events/domain-event';
import { canonicalJson } from '../idempotency/canonical-json';
import { entityFromRow } from '../../database/entity-from-row';
import { stripeAnswerTime } from '../stripe/stripe-freshness';
import { localIdOf } from '../stripe/stripe-metadata';
import type { ApplyOptions, ApplyResult } from '../stripe-sync';
import type { MirrorDeclaration } from './mirror-declaration';
import { mirrorHooks } from './mirror-hooks';
import { changeEvents, columnPlaceholders, columnValues, insertState } from './mirror-rows';
import { createInOneStatement } from './one-statement-create';
import { storableText } from './mirror-text';
import { transactionWithRetry } from '../database/transaction-retry';
import { managerQuery } from '../../database/prepared-query';

export interface MirrorWriteOptions<E> extends ApplyOptions {
  /** Stripe's clock for a fresh answer (default: the answer's Date header). Ignored for events. */
  answeredAt?: number;
  /** Runs in the same transaction once the row is written (the API path completes its idempotency record). */
  onWritten?: (manager: EntityManager, entity: E) => Promise<void>;
  /** Runs in the same transaction right after a NEW row is inserted, before its events are computed. */
  afterInsert?: (manager: EntityManager) => Promise<unknown>;
}

type Raw = Record<string, unknown>;
type Outcome<E> = { result: ApplyResult | 'refetch' | 'adopt'; entity?: E };

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Mirrors Stripe objects into rows and emits our domain events for each change, in one transaction,
 * for any resource described by a MirrorDeclaration. Why lock-then-decide: an apply that found no row
 * and then, in a second read, found one committed meanwhile, used to call the event stale and drop its
 * effect (#10 finding 4). Here the decision is taken on the row locked FOR UPDATE (or on its absence)
 * within one transaction, and creation is an INSERT keyed on our id and Stripe's: the database
 * serialises create and apply, and an event is never `processed` without its effect.
 * Order safety (see webhooks.module.ts): a final status is never left; an event older than the last
 * applied one or the last fresh answer is stale; an event of the same second that would change nothing is
 * stale; against an earlier event of that second the status later in Stripe's order wins; every other
 * same-second change (one of the very second of our fresh answer, one that keeps the status) is
 * undecidable from `created` and re-fetches the object.
 */
export class StripeMirror<O, E extends ObjectLiteral> {
  private readonly decl: MirrorDeclaration<O, E> & Required<Pick<MirrorDeclaration<O, E>, 'stripeIdOf' | 'localIdOf'>>;

  constructor(
    declaration: MirrorDeclaration<O, E>,
    private readonly root: EntityManager,
  ) {
    this.decl = {
      stripeIdOf: (object) => (object as { id: string }).id,
      localIdOf: (object) => localIdOf((object as { metadata?: Record<string, string> | null }).metadata) ?? null,
      ...declaration,
    };
  }

  /** Applies a snapshot (event: opts.eventCreated) or a fresh answer (no eventCreated). */
  async apply(object: O, opts: MirrorWriteOptions<E> = {}): Promise<ApplyResult> {
    const { result } = await this.write(object, opts);
    return result as ApplyResult; // write() resolves refetch and adopt
  }

  /**
   * Many event snapshots in the caller's transaction with three statements in all (lock the rows, write
   * them, record their domain events) instead of three per event: the inbox worker's batch path. Same
   * lock-then-decide and guards as apply(). An item left `undefined` must go through apply(): its row is
   * missing (not_yet, adoption, foreign), its decision needs Stripe (refetch), or an earlier item of this
   * call changes the same row (applied after it, in order).
   */
  async applyEvents(m: EntityManager, items: Array<{ object: O; eventCreated: number }>): Promise<Array<ApplyResult | undefined>> {
    const { decl } = this;
    const results = new Array<ApplyResult | undefined>(items.length).fill(undefined);
    if (items.length === 0) return results;
    const stripeIds = items.map((i) => decl.stripeIdOf(i.object));
    const localIds = items.map((i) => decl.localIdOf(i.object)).filter((id): id is string => !!id);
    // Locked in id order: concurrent batches touching the same rows wait for each other instead of deadlocking.
    // managerQuery: unnamed, so planned for the table as it is (with this and the UPDATE below named, one
    // bench:webhooks:e2e round spent 1.8 ms of PostgreSQL per event instead of ~0.15: a generic plan's scan).
    const rows = await managerQuery<Raw>(
      m,
      `SELECT * FROM ${decl.table} WHERE ${decl.stripeIdColumn} = ANY($1::text[]) OR id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
      [stripeIds, localIds],
    );
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    const byStripeId = new Map(rows.map((r) => [r[decl.stripeIdColumn] as string, r]));
    const writes: Array<{ index: number; row: Raw; state: Raw; stripeId: string }> = [];
    const touched = new Set<unknown>();
    let columns: string[] | undefined;
    for (const [index, { object, eventCreated }] of items.entries()) {
      const localId = decl.localIdOf(object);
      const row = (localId ? byId.get(localId) : undefined) ?? byStripeId.get(stripeIds[index]);
      if (!row || touched.has(row.id)) continue;
      await mirrorHooks.afterLookup?.(decl.table, stripeIds[index], true);
      const state = storableText(decl.state(object));
      columns ??= Object.keys(state);
      if (Object.keys(state).join() !== columns.join()) continue;
      if (!decl.alwaysApplies?.(object)) {
        const verdict = this.guard(row, state, eventCreated);
        if (verdict === 'stale') results[index] = 'stale';
        if (verdict !== true) continue;
      }
      touched.add(row.id);
      writes.push({ index, row, state: { ...state, id: row.id, stripe_event_created: eventCreated }, stripeId: stripeIds[index] });
    }
    if (writes.length === 0 || !columns) return results;

    // One UPDATE for every row: the new values travel as one JSON array turned into rows of the table's own
    // type (jsonb_populate_recordset), so each column gets its type without a cast per parameter.
    const sets = columns.map((col) => {
      if (decl.keepWhenNull?.includes(col)) return `${col} = coalesce(v.${col}, t.${col})`;
      if (decl.keepWhenSet?.includes(col)) return `${col} = coalesce(t.${col}, v.${col})`;
      return `${col} = v.${col}`;
    });
    const written = await managerQuery<Raw>(
      m,
      `UPDATE ${decl.table} AS t SET ${sets.join(', ')},
         stripe_event_created = greatest(t.stripe_event_created, v.stripe_event_created), updated_at = now()
         FROM jsonb_populate_recordset(NULL::${decl.table}, $1::jsonb) AS v
        WHERE t.id = v.id RETURNING t.*`,
      [JSON.stringify(writes.map((w) => w.state))],
    );
    const after = new Map(written.map((r) => [r.id as string, r]));
    const events: NewDomainEvent[] = [];
    for (const w of writes) {
      events.push(...changeEvents(decl, this.hydrate(m, w.row), this.hydrate(m, after.get(w.row.id as string)!)));
      results[w.index] = 'applied';
    }
    await recordDomainEvents(m, events);
    for (const w of writes) await mirrorHooks.beforeCommit?.(decl.table, w.stripeId);
    return results;
  }

  /**
   * The API path's create in one statement (row, events, idempotency completion; see createInOneStatement).
   * undefined: the row exists already, and the answer is for create() or apply() to write.
   */
  createInOneStatement(id: string, object: O, extra: Raw, answeredAt?: number): Promise<E | undefined> {
    return createInOneStatement(this.root.connection, this.decl, id, object, extra, answeredAt);
  }

  /**
   * Writes what Stripe answered to our own create call: inserts the row under our id (events for a new
   * row) or, if it exists already (a retry, or a webhook adopted it first), applies the answer to it.
   */
  async create(id: string, object: O, extra: Raw, opts: MirrorWriteOptions<E> = {}): Promise<E | undefined> {
    return this.within(opts.manager, async (m) => {
      const inserted = await this.insertIn(m, id, object, extra, opts);
      if (inserted) return inserted;
      return (await this.applyIn(m, object, { ...opts, eventCreated: undefined })).entity;
    });
  }

  private async write(object: O, opts: MirrorWriteOptions<E>): Promise<Outcome<E>> {
    const outcome = await this.within(opts.manager, (m) => this.applyIn(m, object, opts));
    if (outcome.result === 'refetch') {
      const fresh = await this.decl.retrieve!(this.decl.stripeIdOf(object));
      return this.write(fresh, { ...opts, eventCreated: undefined, answeredAt: undefined });
    }
    if (outcome.result === 'adopt') return this.adopt(object, opts);
    return outcome;
  }

  /**
   * #10 "orphans are adopted": the object carries our id but no row exists (the call that created it
   * lost its answer, or our write failed). The row is created from Stripe's current copy under our id, so a
   * retry of the original request finds it. A copy Stripe does not know (yet) is not adopted: not_yet.
   */
  private async adopt(object: O, opts: MirrorWriteOptions<E>): Promise<Outcome<E>> {
    const localId = this.decl.localIdOf(object)!;
    let fresh = object;
    if (this.decl.retrieve) {
      try {
        fresh = await this.decl.retrieve(this.decl.stripeIdOf(object));
      } catch (error) {
        if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') return { result: 'not_yet' };
        throw error;
      }
      if (this.decl.localIdOf(fresh) !== localId) return { result: 'not_yet' };
    }
    return this.within(opts.manager, async (m): Promise<Outcome<E>> => {
      const extra = await this.decl.adopt!(fresh, m);
      if (!extra) return { result: 'not_yet' };
      const freshOpts = { ...opts, eventCreated: undefined, answeredAt: undefined };
      const inserted = await this.insertIn(m, localId, fresh, extra, freshOpts);
      if (inserted) return { result: 'applied', entity: inserted };
      const again = await this.applyIn(m, fresh, freshOpts);
      return again.result === 'adopt' || again.result === 'refetch' ? { result: 'not_yet' } : again;
    });
  }

  /**
   * Adopting is only for orphans: while the creating call may still be writing its row (a young object),
   * the event waits as not_yet. The creating write is keyed on our id, so adopting early would be safe,
   * just needless.
   */
  private adoptable(object: O, opts: MirrorWriteOptions<E>): boolean {
    if (!this.decl.adopt || opts.adoptAfterSeconds === undefined) return false;
    const created = (object as { created?: number }).created;
    return typeof created === 'number' && created <= Date.now() / 1000 - opts.adoptAfterSeconds;
  }

  private within<T>(manager: EntityManager | undefined, work: (m: EntityManager) => Promise<T>): Promise<T> {
    // Our own writes (no caller's transaction) are retried when chosen as a deadlock victim; inside a caller's
    // transaction (the worker's batch) the caller decides, and the batch's one-by-one re-run recovers.
    return manager ? work(manager) : transactionWithRetry(this.root, work);
  }

  private async applyIn(m: EntityManager, object: O, opts: MirrorWriteOptions<E>): Promise<Outcome<E>> {
    const { decl } = this;
    const stripeId = decl.stripeIdOf(object);
    const localId = decl.localIdOf(object);
    const [row]: Raw[] = await m.query(
      `SELECT * FROM ${decl.table} WHERE ${localId ? 'id = $2::uuid OR ' : ''}${decl.stripeIdColumn} = $1 LIMIT 1 FOR UPDATE`,
      localId ? [stripeId, localId] : [stripeId],
    );
    await mirrorHooks.afterLookup?.(decl.table, stripeId, !!row);
    if (!row && !localId && decl.insertUnknown) {
      const extra = await decl.insertUnknown(object, m);
      if (!extra) return { result: 'foreign' };
      const inserted = await this.insertIn(m, stripeId, object, extra, opts);
      // A concurrent first sight inserted it meanwhile: decide on that row like any other.
      return inserted ? { result: 'applied', entity: inserted } : this.applyIn(m, object, opts);
    }
    if (!row) return { result: localId ? (this.adoptable(object, opts) ? 'adopt' : 'not_yet') : 'foreign' };

    const state = storableText(decl.state(object));
    const ev = opts.eventCreated ?? null;
    if (!decl.alwaysApplies?.(object)) {
      const verdict = this.guard(row, state, ev);
      if (verdict !== true) return { result: verdict };
    }
    const previous = this.hydrate(m, row);
    const answeredAt = ev === null ? (opts.answeredAt ?? stripeAnswerTime(object)) : null;
    const columns = Object.keys(state);
    const placeholders = columnPlaceholders(decl, columns);
    const sets = columns.map((col, i) => {
      const p = placeholders[i];
      if (decl.keepWhenNull?.includes(col)) return `${col} = coalesce(${p}, ${col})`;
      if (decl.keepWhenSet?.includes(col)) return `${col} = coalesce(${col}, ${p})`;
      return `${col} = ${p}`;
    });
    const n = columns.length;
    const [written]: [Raw[], number] = await m.query(
      `UPDATE ${decl.table} SET ${sets.join(', ')},
         stripe_event_created = greatest(stripe_event_created, $${n + 2}::bigint),
         stripe_synced_at = greatest(stripe_synced_at, $${n + 3}::bigint), updated_at = now()
       WHERE id = $1 RETURNING *`,
      [row.id, ...columnValues(decl, state), ev, answeredAt],
    );
    const next = this.hydrate(m, written[0]);
    await this.finish(m, previous, next, stripeId, opts);
    return { result: 'applied', entity: next };
  }

  /** INSERT under our id; undefined when a row with this id or Stripe id exists already. */
  private async insertIn(m: EntityManager, id: string, object: O, extra: Raw, opts: MirrorWriteOptions<E>): Promise<E | undefined> {
    const state = insertState(this.decl, object, extra);
    const columns = Object.keys(state);
    const placeholders = columnPlaceholders(this.decl, columns);
    const ev = opts.eventCreated ?? null;
    const answeredAt = ev === null ? (opts.answeredAt ?? stripeAnswerTime(object)) : null;
    const n = columns.length;
    const rows: Raw[] = await m.query(
      `INSERT INTO ${this.decl.table} (id, ${columns.join(', ')}, stripe_event_created, stripe_synced_at)
       VALUES ($1, ${placeholders.join(', ')}, $${n + 2}, $${n + 3}) ON CONFLICT DO NOTHING RETURNING *`,
      [id, ...columnValues(this.decl, state), ev, answeredAt],
    );
    if (!rows.length) return undefined;
    let next = this.hydrate(m, rows[0]);
    await mirrorHooks.afterLookup?.(this.decl.table, this.decl.stripeIdOf(object), true);
    if (opts.afterInsert) {
      await opts.afterInsert(m);
      const [reread]: Raw[] = await m.query(`SELECT * FROM ${this.decl.table} WHERE id = $1`, [id]);
      next = this.hydrate(m, reread);
    }
    await this.finish(m, null, next, this.decl.stripeIdOf(object), opts);
    return next;
  }

  /** Domain events of the change and the caller's follow-up, in the transaction that made the change. */
  private async finish(m: EntityManager, previous: E | null, next: E, stripeId: string, opts: MirrorWriteOptions<E>): Promise<void> {
    await recordDomainEvents(m, changeEvents(this.decl, previous, next));
    await opts.onWritten?.(m, next);
    await mirrorHooks.beforeCommit?.(this.decl.table, stripeId);
  }

  /** true: the incoming state may replace the stored one; else why not. */
  private guard(row: Raw, state: Raw, ev: number | null): true | 'stale' | 'refetch' {
    const { decl } = this;
    const statusOf = decl.statusOf ?? ((v: Raw) => (v.status as string | undefined) ?? null);
    const stored = statusOf(row);
    const incoming = statusOf(state);
    if (stored && decl.finalStatuses?.includes(stored) && stored !== incoming) return 'stale';
    if (ev === null) return true;
    const synced = num(row.stripe_synced_at);
    const last = num(row.stripe_event_created);
    if ((synced !== null && ev < synced) || (last !== null && ev < last)) return 'stale';
    if (ev !== synced && ev !== last) return true;
    // Same second as what the row holds: Stripe's `created` has 1-second resolution and cannot order them.
    if (!this.differs(row, state)) return 'stale';
    const order = decl.statusOrder;
    const [at, from] = [order?.indexOf(incoming ?? '') ?? -1, order?.indexOf(stored ?? '') ?? -1];
    // Against an earlier event of that second, a status later in Stripe's order is the later news.
    if (ev !== synced && at >= 0 && from >= 0 && at > from) return true;
    // Otherwise only Stripe knows which came last: ask it rather than drop a change or apply an older one. A
    // status earlier in the order is not proof of an older event: a failed 3-D Secure moves requires_action back
    // to requires_payment_method, often in the second of the requires_action event; a decline keeps the status
    // of the answer it follows; a customer has no status order.
    if (decl.retrieve) return 'refetch';
    return ev === synced ? 'stale' : true;
  }

  /** Whether writing `state` would change the row (columns kept when null or once set count as unchanged). */
  private differs(row: Raw, state: Raw): boolean {
    const comparable = (v: unknown) =>
      v instanceof Date ? String(v.getTime()) : v !== null && typeof v === 'object' ? canonicalJson(v) : String(v ?? null);
    return Object.entries(state).some(([col, value]) => {
      const kept = row[col];
      if (value === null || value === undefined) return !this.decl.keepWhenNull?.includes(col) && kept !== null && kept !== undefined;
      if (kept !== null && kept !== undefined && this.decl.keepWhenSet?.includes(col)) return false;
      return comparable(kept) !== comparable(value);
    });
  }

  private hydrate(m: EntityManager, row: Raw): E {
    return entityFromRow(m.getRepository(this.decl.entity), row);
  }
}
