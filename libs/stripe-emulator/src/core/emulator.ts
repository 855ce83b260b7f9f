import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { IdempotencyStore } from './idempotency';
import { FaultList, RequestLogEntry } from './faults';
import { newId } from './ids';
import { RequestInfo } from './router';
import type { EventObject, PaymentIntentObject } from './objects';
import { completeEventData } from './shapes';
import { LiveObject, Store, StoreSnapshot, clone } from './store';
import { WebhookDispatcher } from './webhooks';

export const API_VERSION = '2026-10-28.endive';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export interface ResolvedOptions {
  asyncDelayMs: number;
  webhookRetryDelaysMs: number[];
  webhookTimeoutMs: number;
  persistPath?: string;
  now: () => number;
  logger: Logger;
}

type IntentListener = (intent: PaymentIntentObject, req: RequestInfo | null) => void;

/** The state file (`persistPath`). */
interface PersistedState {
  store: StoreSnapshot;
  idempotency: ReturnType<IdempotencyStore['snapshot']>;
  clockOffsetMs?: number;
}

/** An object's fields by name, for comparing two versions of it. */
const fieldsOf = (obj: object): Map<string, unknown> => new Map(Object.entries(obj));

/** Shared state and services every resource module works with. */
export class Emulator {
  readonly store = new Store();
  readonly idempotency: IdempotencyStore;
  readonly faults = new FaultList();
  readonly webhooks: WebhookDispatcher;
  requestLog: RequestLogEntry[] = [];
  private clockOffsetMs = 0;
  private heldMs?: number;
  private frozenSec?: number;
  private lastEventCreated = 0;
  private timers = new Set<NodeJS.Timeout>();
  private keyedTimers = new Map<string, NodeJS.Timeout>();
  private persistTimer?: NodeJS.Timeout;
  private intentListeners: IntentListener[] = [];
  closed = false;
  /** Where the server listens, for URLs Stripe would host (3-D Secure pages). */
  baseUrl = '';

  constructor(readonly opts: ResolvedOptions) {
    this.idempotency = new IdempotencyStore(() => this.nowMs());
    this.webhooks = new WebhookDispatcher(this);
    this.loadPersisted();
  }

  nowMs(): number {
    return this.heldMs ?? this.opts.now() + this.clockOffsetMs;
  }

  /**
   * Stops the emulator clock where it is (or lets it run again), so a test can make an answer and an event
   * share one second of Stripe's clock on purpose rather than by luck.
   */
  holdClock(hold: boolean): void {
    this.heldMs = hold ? this.nowMs() : undefined;
  }

  /** Object timestamps: the frozen time of a test clock while its objects are worked on, else the emulator clock. */
  nowSec(): number {
    return this.frozenSec ?? Math.floor(this.nowMs() / 1000);
  }

  /** Runs `fn` at a test clock's time: what it creates or bills is dated `sec`. */
  atTime<T>(sec: number | undefined, fn: () => T): T {
    const outer = this.frozenSec;
    this.frozenSec = sec ?? outer;
    try {
      return fn();
    } finally {
      this.frozenSec = outer;
    }
  }

  /** The frozen time of the test clock a customer lives on, if any. */
  clockTimeOf(customerId: unknown): number | undefined {
    const clockId = typeof customerId === 'string' ? this.store.get(customerId, 'customer')?.test_clock : undefined;
    return clockId ? this.store.get(clockId, 'test_helpers.test_clock')?.frozen_time : undefined;
  }

  advanceClock(seconds: number): void {
    this.clockOffsetMs += seconds * 1000;
    if (this.heldMs !== undefined) this.heldMs += seconds * 1000;
    this.changed();
  }

  /** Timers die with the emulator so a test run never hangs on them. */
  schedule(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** One pending timer per object (refund settlement), cancellable when forced early. */
  scheduleFor(key: string, fn: () => void, ms: number): void {
    this.cancelFor(key);
    this.keyedTimers.set(
      key,
      this.schedule(() => {
        this.keyedTimers.delete(key);
        fn();
      }, ms),
    );
  }

  cancelFor(key: string): void {
    this.cancel(this.keyedTimers.get(key));
    this.keyedTimers.delete(key);
  }

  onIntentChange(listener: IntentListener): void {
    this.intentListeners.push(listener);
  }

  intentChanged(intent: PaymentIntentObject, req: RequestInfo | null): void {
    for (const l of this.intentListeners) l(intent, req);
  }

  /** Records an event with a snapshot of the object as it is now. */
  emit(type: string, obj: LiveObject, req: RequestInfo | null, previous?: Record<string, unknown>): EventObject {
    // Events are dated by the emulator clock even while a test clock advances, so listing order stays true.
    const created = Math.max(this.lastEventCreated, Math.floor(this.nowMs() / 1000));
    this.lastEventCreated = created;
    const data: EventObject['data'] = { object: clone(obj) };
    if (previous && Object.keys(previous).length) data.previous_attributes = clone(previous);
    // The payload is frozen as the pinned version declares it, once: listing and delivery show the same JSON.
    const event = this.store.put<EventObject>({
      id: newId('evt'),
      object: 'event',
      api_version: API_VERSION,
      created,
      data: completeEventData(type, data),
      livemode: false,
      pending_webhooks: 0,
      request: { id: req?.id ?? null, idempotency_key: req?.idempotencyKey ?? null },
      type,
    });
    this.webhooks.dispatch(event);
    this.changed();
    return event;
  }

  /** Emits an update event whose previous_attributes are the top-level fields that changed. */
  emitUpdate<T extends LiveObject>(type: string, before: T, after: T, req: RequestInfo | null): void {
    const [old, now] = [fieldsOf(before), fieldsOf(after)];
    const previous: Record<string, unknown> = {};
    for (const key of new Set([...old.keys(), ...now.keys()])) {
      if (JSON.stringify(old.get(key)) !== JSON.stringify(now.get(key))) previous[key] = old.get(key) ?? null;
    }
    this.emit(type, after, req, previous);
  }

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.keyedTimers.clear();
    this.webhooks.reset();
    this.store.clear();
    this.idempotency.clear();
    this.faults.clear();
    this.requestLog = [];
    this.clockOffsetMs = 0;
    this.heldMs = undefined;
    this.lastEventCreated = 0;
    this.changed();
  }

  changed(): void {
    if (!this.opts.persistPath || this.persistTimer || this.closed) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      this.persist();
    }, 200);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.webhooks.close();
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persist();
  }

  /**
   * The state is saved as one whole snapshot, at most 200 ms after a change and once more on close: written
   * to a temporary file, flushed to disk, then renamed over the previous one. So the file always holds one
   * complete state; a crash or power loss mid-write leaves the previous snapshot, never a torn or empty one.
   * Why not a write-ahead log: it would lose nothing on a hard kill, but every mutation (objects are changed
   * in place all over the resources) would have to report what it touched. For a sandbox, losing at most the
   * last 200 ms on a hard kill (never on SIGTERM or Ctrl-C, which close and flush) is the better trade.
   * Not saved: pending timers (asynchronous transitions, webhook retries); reconciliation pulls missed events.
   */
  private persist(): void {
    const path = this.opts.persistPath;
    if (!path) return;
    const state: PersistedState = {
      store: this.store.snapshot(),
      idempotency: this.idempotency.snapshot(),
      clockOffsetMs: this.clockOffsetMs,
    };
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(`${path}.tmp`, 'w');
    try {
      writeSync(fd, JSON.stringify(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(`${path}.tmp`, path);
  }

  private loadPersisted(): void {
    const path = this.opts.persistPath;
    if (!path || !existsSync(path)) return;
    const state: PersistedState = JSON.parse(readFileSync(path, 'utf8'));
    this.store.load(state.store);
    this.idempotency.load(state.idempotency);
    this.clockOffsetMs = state.clockOffsetMs ?? 0;
    for (const e of this.store.list('event')) this.lastEventCreated = Math.max(this.lastEventCreated, e.created);
    this.opts.logger.info(`stripe-emulator: loaded state from ${path}`);
  }
}
