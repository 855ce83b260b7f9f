import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ProblemException } from '../common/errors/problem';
import { preparedCommand, preparedQuery } from '../database/prepared-query';
import { inApplyOrder, objectIdOf, StripeEventEnvelope } from './stripe-event';
import { webhookEventsReceived } from './webhook-metrics';

export interface InboxRow {
  id: string;
  type: string;
  livemode: boolean;
  apiVersion: string | null;
  stripeCreated: number;
  objectId: string | null;
  /** The event as JSON text (the exact bytes received, for deliveries). */
  payload: string;
  status: 'pending' | 'ignored';
  note: string | null;
  source: 'webhook' | 'reconciliation';
}

/** The inbox row of a verified event, from a delivery or from reconciliation alike. */
export function toInboxRow(event: StripeEventEnvelope, payload: string, livemode: boolean, source: InboxRow['source']): InboxRow {
  const ignored = event.livemode !== livemode;
  return {
    id: event.id,
    type: event.type,
    livemode: event.livemode,
    apiVersion: event.api_version ?? null,
    stripeCreated: event.created,
    objectId: objectIdOf(event),
    payload,
    status: ignored ? 'ignored' : 'pending',
    note: ignored ? `livemode ${event.livemode} does not match the configured ${livemode ? 'live' : 'test'} key` : null,
    source,
  };
}

interface Waiter {
  row: InboxRow;
  /** The parsed event, when the caller has it (a delivery): needed to apply it on receipt. */
  event?: StripeEventEnvelope;
  resolve(): void;
  reject(error: unknown): void;
}

/** Applies events in the transaction that inserts them (the worker provides it; see applyOnReceipt). */
export interface ReceiptApplier {
  applies(type: string): boolean;
  /** Applies `events` in `manager`'s transaction; returns the notes of those settled (the rest stay pending). */
  apply(manager: EntityManager, events: StripeEventEnvelope[]): Promise<Map<string, string | null>>;
}

const COLUMNS = 10;
const MAX_BATCH = 500;
// One batch at a time is classic group commit: whatever arrives while it commits becomes the next batch.
// In bench:webhooks it used the least CPU per event (node and PostgreSQL) at p99 ~22 ms; the rest of the
// pool stays free for workers, operators and the API. The same holds for a receipt batch (insert, lock,
// apply, outbox, commit): in bench:webhooks:e2e (closed loop, 2 rounds, 2026-11-30) two in flight cost
// 268-276 µs of PostgreSQL per applied event (0.71x the naive design), one 199-241 µs (0.49-0.50x), at the
// same events/s: batches twice as large pay each statement, plan and commit half as often.
const MAX_IN_FLIGHT = 1;

// Batches are padded up to one of these sizes by repeating their last row (ON CONFLICT DO NOTHING drops the
// copies), so that a few named statements cover every batch: PostgreSQL parses and plans each one once per
// connection instead of once per batch. In bench:webhooks that cut PostgreSQL's CPU per event by about a
// fifth. Exact sizes would need up to 8 MB of plans per connection for 1..64; these classes need ~2 MB and
// waste at most a third of a batch on copies (a JSON check and an index probe each).
// Named statements live on the server connection: a PgBouncer in transaction mode in front of PostgreSQL
// must track them (1.21+, max_prepared_statements > 0).
const SIZE_CLASSES = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128];

type InsertKind = 'plain' | 'returning' | 'receipt';

// `count` rows in one INSERT. 'returning' and 'receipt' tell which rows are new (RETURNING id); 'receipt' also
// stamps a row stored as 'processed' (its apply follows in the same transaction) as applied once.
function insertStatement(count: number, kind: InsertKind): string {
  const receipt = kind === 'receipt';
  const tuples: string[] = [];
  for (let r = 0; r < count; r++) {
    const b = r * COLUMNS;
    const processed = `$${b + 8}::text = 'processed'`;
    const stamps = receipt ? `, CASE WHEN ${processed} THEN 1 ELSE 0 END, CASE WHEN ${processed} THEN now() END` : '';
    tuples.push(
      `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}::json, $${b + 8}::text, $${b + 9}, $${b + 10}${stamps})`,
    );
  }
  return (
    `INSERT INTO webhook_events (id, type, livemode, api_version, stripe_created, object_id, payload, status, note, source${receipt ? ', attempts, processed_at' : ''}) ` +
    `VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING${kind === 'plain' ? '' : ' RETURNING id'}`
  );
}

const padded = {
  plain: new Map<number, string>(SIZE_CLASSES.map((size) => [size, insertStatement(size, 'plain')])),
  receipt: new Map<number, string>(SIZE_CLASSES.map((size) => [size, insertStatement(size, 'receipt')])),
};

/** A batch's INSERT: padded to its size class under that class's named statement, or unnamed past the largest. */
function sizedInsert(rows: StoredRow[], kind: 'plain' | 'receipt'): { name: string | undefined; text: string; values: unknown[] } {
  const size = SIZE_CLASSES.find((s) => s >= rows.length);
  if (size === undefined) return { name: undefined, text: insertStatement(rows.length, kind), values: params(rows) };
  const copies = new Array<StoredRow>(size - rows.length).fill(rows[rows.length - 1]);
  return {
    name: `webhook_inbox_${kind === 'plain' ? 'insert' : 'receipt'}_${size}`,
    text: padded[kind].get(size)!,
    values: params(rows.concat(copies)),
  };
}

// Rows of the receipt path that did not settle as applied-without-a-note: back to pending (due now, never
// claimed), or processed with their note (stale, foreign). Same transaction as the insert.
const RECEIPT_SETTLE_SQL = `
  UPDATE webhook_events w
     SET status = u.status, note = u.note,
         attempts = CASE WHEN u.status = 'pending' THEN 0 ELSE w.attempts END,
         processed_at = CASE WHEN u.status = 'pending' THEN NULL ELSE w.processed_at END
    FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, status, note)
   WHERE w.id = u.id`;

type StoredRow = Omit<InboxRow, 'status'> & { status: InboxRow['status'] | 'processed' };

function params(rows: StoredRow[]): unknown[] {
  const out: unknown[] = [];
  for (const r of rows)
    out.push(r.id, r.type, r.livemode, r.apiVersion, r.stripeCreated, r.objectId, r.payload, r.status, r.note, r.source);
  return out;
}

// Errors that one row's values can cause, so they concern that row, not the batch: SQLSTATE class 22
// (data exception: a NUL character in `type`, bad encoding) and class 54 (program limit exceeded: an event
// nested 100,000 levels makes the json input overflow PostgreSQL's stack, 54001; a value too large, 54000).
// A batch-wide cause would make every row fail again alone, costing only the retries.
const isRowError = (error: unknown) => /^(22|54)/.test(String((error as { code?: unknown }).code ?? ''));

/**
 * Group commit for the inbox. Concurrent deliveries share one multi-row INSERT (its own transaction);
 * each caller is released only once that statement has COMMITTED, so a 200 is never given for an event
 * that is not durably stored, yet the database sees one commit per batch instead of one per event.
 */
@Injectable()
export class WebhookInboxWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhookInboxWriter.name);
  private queue: Waiter[] = [];
  private inFlight = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private readonly pendingListeners: Array<() => void> = [];
  private receiptApplier: ReceiptApplier | undefined;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Called after a committed batch that left pending rows (the worker uses it to start at once). */
  onPendingStored(listener: () => void): void {
    this.pendingListeners.push(listener);
  }

  /**
   * From now on, events `applier` takes are applied in the transaction that stores them, so most events
   * are never claimed at all: no claim UPDATE, no mark UPDATE, no second read of the payload, and the row
   * is written once, as processed, outside the worker's due index (#16). Should that transaction fail
   * (a deadlock with a worker batch, an apply error), the batch is stored the plain way, pending.
   */
  applyOnReceipt(applier: ReceiptApplier): void {
    this.receiptApplier = applier;
  }

  /** Resolves once the row is committed (or was already there); rejects with a 503 problem otherwise. */
  write(row: InboxRow, event?: StripeEventEnvelope): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, event, resolve, reject });
      if (this.queue.length >= MAX_BATCH) this.flush();
      // Every delivery parsed in this turn of the event loop joins the batch; no timer adds latency.
      else this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Direct insert of already-known events (reconciliation); returns the ids that were new. */
  async insertMany(rows: InboxRow[]): Promise<string[]> {
    const inserted: string[] = [];
    for (let i = 0; i < rows.length; i += MAX_BATCH) {
      const chunk = rows.slice(i, i + MAX_BATCH);
      const result: Array<{ id: string }> = await this.dataSource.query(insertStatement(chunk.length, 'returning'), params(chunk));
      inserted.push(...result.map((r) => r.id));
    }
    return inserted;
  }

  async onApplicationShutdown(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0) {
      this.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private flush(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    while (this.queue.length > 0 && this.inFlight < MAX_IN_FLIGHT) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.store(batch).then((answer) => {
        this.inFlight--;
        // The next batch goes to PostgreSQL before this one's answers are written, so the database works
        // while this thread answers (in bench:webhooks the machine sat ~25% idle otherwise).
        if (this.queue.length > 0) this.flush();
        answer();
      });
    }
  }

  /** One statement, hence its own transaction: the rows are committed once it returns. Returns how many were new. */
  private async insert(rows: InboxRow[]): Promise<number> {
    const { name, text, values } = sizedInsert(rows, 'plain');
    return preparedCommand(this.dataSource, name, text, values);
  }

  /**
   * The receipt path: insert (the events the applier takes as 'processed') and apply the new ones in one
   * transaction. Undefined when it does not apply to this batch or its transaction failed: the caller then
   * stores the batch the plain way, so a failure here never loses an event or refuses a delivery.
   */
  private async storeAndApply(waiters: Waiter[]): Promise<{ inserted: number; pendingLeft: boolean } | undefined> {
    const applier = this.receiptApplier;
    if (!applier) return undefined;
    const taken = new Map<string, StripeEventEnvelope>();
    for (const w of waiters) if (w.event && w.row.status === 'pending' && applier.applies(w.row.type)) taken.set(w.row.id, w.event);
    if (taken.size === 0) return undefined;
    const rows = waiters.map((w) => (taken.has(w.row.id) ? { ...w.row, status: 'processed' as const } : w.row));
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      const { name, text, values } = sizedInsert(rows, 'receipt');
      const inserted = await preparedQuery<{ id: string }>(runner, name, text, values);
      const fresh = inserted.map((r) => taken.get(r.id)).filter((e): e is StripeEventEnvelope => !!e);
      const notes = await applier.apply(runner.manager, fresh.sort(inApplyOrder));
      const unsettled = fresh.filter((e) => !notes.has(e.id)).map((e) => e.id);
      const noted = [...notes].filter(([, note]) => note !== null);
      if (unsettled.length + noted.length > 0)
        await runner.query(RECEIPT_SETTLE_SQL, [
          [...unsettled, ...noted.map(([id]) => id)],
          [...unsettled.map(() => 'pending'), ...noted.map(() => 'processed')],
          [...unsettled.map(() => null), ...noted.map(([, note]) => note)],
        ]);
      await runner.commitTransaction();
      const pendingLeft = unsettled.length > 0 || inserted.length > fresh.length;
      return { inserted: inserted.length, pendingLeft };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      this.logger.debug({ err: error, events: rows.length }, 'Applying on receipt failed: storing the batch for the worker');
      return undefined;
    } finally {
      await runner.release();
    }
  }

  /** Inserts the batch; resolves (never rejects) with what answers its callers. */
  private async store(batch: Waiter[]): Promise<() => void> {
    // The same event delivered twice within one batch needs one row; both callers get the answer.
    const unique = new Map<string, Waiter[]>();
    for (const w of batch) {
      const same = unique.get(w.row.id);
      if (same) same.push(w);
      else unique.set(w.row.id, [w]);
    }
    const rows = [...unique.values()].map((ws) => ws[0].row);
    try {
      const receipt = await this.storeAndApply([...unique.values()].map((ws) => ws[0]));
      const inserted = receipt?.inserted ?? (await this.insert(rows));
      const pendingLeft = receipt ? receipt.pendingLeft : inserted > 0;
      // Copies of a row within the batch and rows already in the inbox are both duplicates.
      webhookEventsReceived.inc({ result: 'stored' }, inserted);
      webhookEventsReceived.inc({ result: 'duplicate' }, batch.length - inserted);
      return () => {
        for (const w of batch) w.resolve();
        if (pendingLeft) for (const listener of this.pendingListeners) listener();
      };
    } catch (error) {
      if (isRowError(error)) {
        if (rows.length > 1) {
          // Store every storable row; only the offending one is refused.
          const answers = await Promise.all([...unique.values()].map((ws) => this.store(ws)));
          return () => answers.forEach((answer) => answer());
        }
        // Retrying cannot help, so no 503: the sender learns what PostgreSQL refused.
        this.logger.warn({ err: error, eventId: rows[0].id }, 'Inbox refused an event it cannot store');
        webhookEventsReceived.inc({ result: 'unstorable' }, batch.length);
        const problem = new ProblemException(400, 'unstorable_event', `The event cannot be stored: ${(error as Error).message}.`);
        return () => batch.forEach((w) => w.reject(problem));
      }
      this.logger.warn({ err: error, events: rows.length }, 'Inbox insert failed: answering 503 so that Stripe retries');
      webhookEventsReceived.inc({ result: 'unavailable' }, batch.length);
      const problem = new ProblemException(
        503,
        'inbox_unavailable',
        'The event could not be stored; retry later.',
        {},
        { 'Retry-After': '5' },
      );
      return () => batch.forEach((w) => w.reject(problem));
    }
  }
}
