import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PollingLoop } from '../common/polling-loop';
import type { AppConfig } from '../config/configuration';
import { inApplyOrder, type StripeEventEnvelope } from './stripe-event';
import { backoffMs } from './webhook-backoff';
import { DispatchOutcome, WebhookDispatcher } from './webhook-dispatcher';
import { WebhookInboxWriter } from './webhook-inbox.writer';

interface ClaimedEvent {
  id: string;
  type: string;
  attempts: number;
  payload: StripeEventEnvelope;
  received_at: Date;
  /** The previous settlement's error: `not_yet: ...` while the event waits for its row. */
  last_error: string | null;
}

// A row is claimable when it is due, or when the worker that claimed it stopped renewing its lease
// (crashed): that is how a crash mid-processing turns into "processed again later". A claim moves the
// row's next_attempt_at to its lease's end, so both cases are one ordered range scan of
// webhook_events_due_idx (next_attempt_at, only pending and processing rows): no sort, and processed rows
// are not in that index, so the claim's cost does not grow with the backlog or with history.

export const CLAIM_SQL = `
  UPDATE webhook_events
     SET status = 'processing', locked_until = now() + make_interval(secs => $2),
         next_attempt_at = now() + make_interval(secs => $2), attempts = attempts + 1
   WHERE id IN (
     SELECT id FROM webhook_events
      WHERE status IN ('pending', 'processing') AND next_attempt_at <= now()
        AND (status = 'pending' OR locked_until < now())
      ORDER BY next_attempt_at
      LIMIT $1
      FOR UPDATE SKIP LOCKED)
  RETURNING id, type, attempts, payload, received_at, last_error`;

// Every transition out of 'processing' is conditional on still holding this claim (attempts is the claim's token).
const HELD = `id = $1 AND status = 'processing' AND attempts = $2`;

// The marks of a batch's processed events, one statement (each still conditional on its claim).
const MARK_PROCESSED_SQL = `
  UPDATE webhook_events w
     SET status = 'processed', processed_at = now(), locked_until = NULL, note = u.note, last_error = NULL
    FROM unnest($1::text[], $2::int[], $3::text[]) AS u(id, attempts, note)
   WHERE w.id = u.id AND w.status = 'processing' AND w.attempts = u.attempts`;

/** The inbox note of an event whose outcome settles it as processed. */
function processedNote(outcome: DispatchOutcome, type: string): string | null {
  switch (outcome.result) {
    case 'applied':
      return outcome.detail ?? null;
    case 'stale':
      return outcome.detail ?? 'stale: the local row already holds this or a newer state';
    case 'foreign':
      return 'foreign object: not created by this service, recorded and not applied';
    default:
      return `no handler for ${type}`;
  }
}

export type Settlement =
  { status: 'processed'; note: string | null } | { status: 'retry'; error: string; delayMs: number } | { status: 'failed'; error: string };

/**
 * Applies inbox rows. Each instance runs one loop; instances share rows through FOR UPDATE SKIP LOCKED
 * and a lease, so no event is applied by two workers at once and none is left behind by a crash.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookWorker.name);
  private readonly settings: AppConfig['webhooks'];
  /** One pass drains what is due (drain() loops while batches come back full); the loop wakes on a nudge or a poll. */
  private readonly loop: PollingLoop;
  /** Set by stopClaimingAndRelease: no further claim, the unstarted events of a claimed batch go back. */
  private releasing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly dispatcher: WebhookDispatcher,
    inbox: WebhookInboxWriter,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('webhooks', { infer: true });
    this.loop = new PollingLoop('Webhook worker', async () => (await this.drain(), false), this.settings.pollMs, this.logger);
    inbox.onPendingStored(() => this.nudge());
    if (this.settings.workerEnabled && this.settings.applyOnReceipt)
      inbox.applyOnReceipt({
        applies: (type) => dispatcher.batches(type),
        apply: (manager, events) => this.applyOnReceipt(manager, events),
      });
  }

  /**
   * The inbox writer's receipt path (WEBHOOK_APPLY_ON_RECEIPT): events just inserted in `manager`'s
   * transaction, applied by the mirror's batch path in that same transaction, so the event, its effect and
   * its mark commit together before Stripe gets its 200. Returns the settled events' notes; an event the
   * batch path hands back (no row yet, a decision that needs Stripe) is left pending for the claim loop.
   * Rows are locked in id order as in applyBatch, so a receipt and a worker batch wait for each other.
   */
  private async applyOnReceipt(manager: EntityManager, events: StripeEventEnvelope[]): Promise<Map<string, string | null>> {
    const settled = new Map<string, string | null>();
    const outcomes = await this.dispatcher.dispatchBatch(events, manager, 1);
    for (const event of events) {
      const outcome = outcomes.get(event.id);
      if (outcome && outcome.result !== 'not_yet') settled.set(event.id, processedNote(outcome, event.type));
    }
    return settled;
  }

  onApplicationBootstrap(): void {
    if (this.settings.workerEnabled) this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stopClaimingAndRelease();
  }

  /**
   * Shutdown: claim nothing more, finish what is in hand (a batch's transaction, or the event being applied
   * alone), and hand the unstarted rest back (lease cleared, due at once, the claim not counted as an attempt)
   * so another instance takes it at once instead of after the lease.
   */
  async stopClaimingAndRelease(): Promise<void> {
    this.releasing = true;
    await this.loop.stop();
  }

  /** Look for work now (after a batch was stored, or an operator asked for a retry). */
  nudge(): void {
    this.loop.nudge();
  }

  /**
   * Claims and applies due events until none is left; returns how many were handled. WEBHOOK_WORKER_CONCURRENCY
   * loops run side by side: while one batch waits on PostgreSQL (its commit, its statements), another is
   * claimed and applied; SKIP LOCKED keeps their rows apart.
   */
  async drain(): Promise<number> {
    const loops = Array.from({ length: this.settings.concurrency }, async () => {
      let total = 0;
      for (;;) {
        const n = await this.runOnce();
        total += n;
        if (n < this.settings.batchSize || this.releasing) return total;
      }
    });
    return (await Promise.all(loops)).reduce((a, b) => a + b, 0);
  }

  async runOnce(): Promise<number> {
    const claimed: ClaimedEvent[] = (await this.dataSource.query(CLAIM_SQL, [this.settings.batchSize, this.settings.leaseSeconds]))[0];
    if (claimed.length === 0) return 0;
    // Oldest Stripe event first (the stale-event guards make order irrelevant, but in order is cheaper), and
    // grouped by object so that concurrent batches lock shared rows in the same order (no deadlocks).
    claimed.sort((a, b) => inApplyOrder(a.payload, b.payload));
    if (this.releasing) await this.release(claimed);
    else if (claimed.length === 1 || !(await this.applyBatch(claimed))) {
      let done = 0;
      while (done < claimed.length && !this.releasing) await this.process(claimed[done++]);
      if (done < claimed.length) await this.release(claimed.slice(done));
    }
    return claimed.length;
  }

  /** Gives unstarted claims back: due at once, for any instance, and the claim's attempt is not counted. */
  private async release(events: ClaimedEvent[]): Promise<void> {
    const [, released]: [unknown, number] = await this.dataSource.query(
      `UPDATE webhook_events SET status = 'pending', locked_until = NULL, next_attempt_at = now(), attempts = attempts - 1
        WHERE status = 'processing' AND (id, attempts) IN (SELECT * FROM unnest($1::text[], $2::int[]))`,
      [events.map((e) => e.id), events.map((e) => e.attempts)],
    );
    this.logger.log({ released }, 'Webhook worker stopping: released the unstarted events of its batch');
  }

  /**
   * The optimistic path: every event of the batch applied and marked in ONE transaction (one commit,
   * one mark statement for the processed ones). Any error rolls the whole batch back (no savepoint per
   * event: they cost a round trip each and errors are rare) and returns false: the caller then applies
   * the events one by one, so a failing event is retried alone and the others apply.
   */
  private async applyBatch(events: ClaimedEvent[]): Promise<boolean> {
    try {
      await this.dataSource.transaction(async (manager) => {
        const processed: Array<{ event: ClaimedEvent; note: string | null }> = [];
        const others: Array<{ event: ClaimedEvent; settlement: Settlement }> = [];
        // The bulk (payment intents) in three statements; the rest, and what those hand back, one by one.
        const batched = await this.dispatcher.dispatchBatch(
          events.filter((e) => !this.spent(e)).map((e) => e.payload),
          manager,
        );
        for (const event of events) {
          const settlement = await this.settle(event, manager, batched.get(event.id));
          if (settlement.status === 'processed') processed.push({ event, note: settlement.note });
          else others.push({ event, settlement });
        }
        if (processed.length)
          await manager.query(MARK_PROCESSED_SQL, [
            processed.map((p) => p.event.id),
            processed.map((p) => p.event.attempts),
            processed.map((p) => p.note),
          ]);
        for (const { event, settlement } of others) await this.mark(manager, event, settlement);
      });
      return true;
    } catch (error) {
      this.logger.debug({ err: error, events: events.length }, 'Webhook batch rolled back; applying its events one by one');
      return false;
    }
  }

  /** One event alone: its effect and its mark commit together; a failure is recorded on its row only. */
  private async process(event: ClaimedEvent): Promise<void> {
    let settlement: Settlement | undefined;
    try {
      await this.dataSource.transaction(async (manager) => {
        settlement = await this.settle(event, manager);
        await this.mark(manager, event, settlement);
      });
      return;
    } catch (error) {
      settlement = this.failure(event, error);
    }
    await this.mark(this.dataSource.manager, event, settlement);
  }

  private async mark(manager: EntityManager, event: ClaimedEvent, settlement: Settlement): Promise<void> {
    if (settlement.status === 'processed') {
      await manager.query(
        `UPDATE webhook_events SET status = 'processed', processed_at = now(), locked_until = NULL, note = $3, last_error = NULL WHERE ${HELD}`,
        [event.id, event.attempts, settlement.note],
      );
    } else if (settlement.status === 'retry') {
      await manager.query(
        `UPDATE webhook_events SET status = 'pending', locked_until = NULL, last_error = $3,
                next_attempt_at = now() + make_interval(secs => $4) WHERE ${HELD}`,
        [event.id, event.attempts, settlement.error, settlement.delayMs / 1000],
      );
    } else {
      this.logger.warn(
        { eventId: event.id, type: event.type, attempts: event.attempts, error: settlement.error },
        'Webhook event failed for good (dead letter)',
      );
      await manager.query(`UPDATE webhook_events SET status = 'failed', locked_until = NULL, last_error = $3 WHERE ${HELD}`, [
        event.id,
        event.attempts,
        settlement.error,
      ]);
    }
  }

  /** The settlement of an event whose apply threw: retried with backoff, or failed once attempts run out. */
  private failure(event: ClaimedEvent, error: unknown): Settlement {
    const { maxAttempts, backoffBaseMs } = this.settings;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (event.attempts >= maxAttempts) return { status: 'failed', error: `${message} (after ${event.attempts} attempts)` };
    return { status: 'retry', error: message, delayMs: backoffMs(event.attempts, backoffBaseMs) };
  }

  /** Claimed too often without ever settling (see settle): failed without being applied again. */
  private spent(event: ClaimedEvent): boolean {
    const notYetDeadline = new Date(event.received_at).getTime() + this.settings.notYetDeadlineSeconds * 1000;
    const waitingForRow = !!event.last_error?.startsWith('not_yet') && Date.now() < notYetDeadline;
    return event.attempts > this.settings.maxAttempts && !waitingForRow;
  }

  /** What applying the event means for its row; an error of the apply is thrown (the caller rolls back). */
  private async settle(event: ClaimedEvent, manager: EntityManager, batched?: DispatchOutcome): Promise<Settlement> {
    const { backoffBaseMs, notYetDeadlineSeconds } = this.settings;
    // Claims that never settled (the process died or the lease ran out each time) count too: an event
    // that kills its worker must not be retried forever. An event waiting for its row (not_yet) is bounded
    // by its own deadline instead: those retries settled, and a fast backoff would otherwise spend the
    // budget before the creating request commits.
    const notYetDeadline = new Date(event.received_at).getTime() + notYetDeadlineSeconds * 1000;
    if (this.spent(event)) {
      return {
        status: 'failed',
        error: `gave up after ${event.attempts - 1} attempts that never completed (worker crash or lease expiry)`,
      };
    }
    const outcome = batched ?? (await this.dispatcher.dispatch(event.payload, { manager }));
    switch (outcome.result) {
      case 'applied':
      case 'stale':
      case 'foreign':
      case 'unhandled':
        return { status: 'processed', note: processedNote(outcome, event.type) };
      case 'not_yet': {
        const deadline = notYetDeadline;
        const error = `not_yet: ${outcome.detail ?? 'the local row is not committed yet'}`;
        if (Date.now() >= deadline) return { status: 'failed', error: `${error}; deadline of ${notYetDeadlineSeconds}s passed` };
        return {
          status: 'retry',
          error,
          delayMs: Math.min(backoffMs(event.attempts, backoffBaseMs), Math.max(0, deadline - Date.now()) + 10),
        };
      }
    }
  }
}
