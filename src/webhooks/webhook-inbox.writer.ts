import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ProblemException } from '../common/errors/problem';
import { preparedCommand } from '../database/prepared-query';
import { objectIdOf, StripeEventEnvelope } from './stripe-event';
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
  resolve(): void;
  reject(error: unknown): void;
}

const COLUMNS = 10;
const MAX_BATCH = 500;
// One INSERT at a time is classic group commit: whatever arrives while it commits becomes the next batch.
// In bench:webhooks it used the least CPU per event (node and PostgreSQL) at p99 ~22 ms; the rest of the
// pool stays free for workers, operators and the API.
const MAX_IN_FLIGHT = 1;

// Batches are padded up to one of these sizes by repeating their last row (ON CONFLICT DO NOTHING drops the
// copies), so that a few named statements cover every batch: PostgreSQL parses and plans each one once per
// connection instead of once per batch. In bench:webhooks that cut PostgreSQL's CPU per event by about a
// fifth. Exact sizes would need up to 8 MB of plans per connection for 1..64; these classes need ~2 MB and
// waste at most a third of a batch on copies (a JSON check and an index probe each).
// Named statements live on the server connection: a PgBouncer in transaction mode in front of PostgreSQL
// must track them (1.21+, max_prepared_statements > 0).
const SIZE_CLASSES = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128];

function statement(count: number, returning: boolean): string {
  const tuples: string[] = [];
  for (let r = 0; r < count; r++) {
    const b = r * COLUMNS;
    tuples.push(`($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}::json, $${b + 8}, $${b + 9}, $${b + 10})`);
  }
  return (
    `INSERT INTO webhook_events (id, type, livemode, api_version, stripe_created, object_id, payload, status, note, source) ` +
    `VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING${returning ? ' RETURNING id' : ''}`
  );
}

const padded = new Map<number, string>(SIZE_CLASSES.map((size) => [size, statement(size, false)]));

function params(rows: InboxRow[]): unknown[] {
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
  private readonly committedListeners: Array<() => void> = [];

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Called after every committed batch (the worker uses it to start at once). */
  onCommitted(listener: () => void): void {
    this.committedListeners.push(listener);
  }

  /** Resolves once the row is committed (or was already there); rejects with a 503 problem otherwise. */
  write(row: InboxRow): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
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
      const result: Array<{ id: string }> = await this.dataSource.query(statement(chunk.length, true), params(chunk));
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
    const size = SIZE_CLASSES.find((s) => s >= rows.length);
    if (size === undefined) return preparedCommand(this.dataSource, undefined, statement(rows.length, false), params(rows));
    const copies = new Array<InboxRow>(size - rows.length).fill(rows[rows.length - 1]);
    return preparedCommand(this.dataSource, `webhook_inbox_insert_${size}`, padded.get(size)!, params(rows.concat(copies)));
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
      const inserted = await this.insert(rows);
      // Copies of a row within the batch and rows already in the inbox are both duplicates.
      webhookEventsReceived.inc({ result: 'stored' }, inserted);
      webhookEventsReceived.inc({ result: 'duplicate' }, batch.length - inserted);
      return () => {
        for (const w of batch) w.resolve();
        for (const listener of this.committedListeners) listener();
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
