import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/configuration';
import type { StripeEventEnvelope } from './stripe-event';
import { backoffMs } from './webhook-backoff';
import { WebhookDispatcher } from './webhook-dispatcher';
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

const CLAIM_BATCH = 20;

// A row is claimable when it is due, or when the worker that claimed it stopped renewing its lease
// (crashed): that is how a crash mid-processing turns into "processed again later".
const CLAIM_SQL = `
  UPDATE webhook_events
     SET status = 'processing', locked_until = now() + make_interval(secs => $2), attempts = attempts + 1
   WHERE id IN (
     SELECT id FROM webhook_events
      WHERE (status = 'pending' AND next_attempt_at <= now())
         OR (status = 'processing' AND locked_until < now())
      ORDER BY stripe_created, received_at
      LIMIT $1
      FOR UPDATE SKIP LOCKED)
  RETURNING id, type, attempts, payload, received_at, last_error`;

// Every transition out of 'processing' is conditional on still holding this claim (attempts is the claim's token).
const HELD = `id = $1 AND status = 'processing' AND attempts = $2`;

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
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly dispatcher: WebhookDispatcher,
    inbox: WebhookInboxWriter,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('webhooks', { infer: true });
    inbox.onCommitted(() => this.nudge());
  }

  onApplicationBootstrap(): void {
    if (!this.settings.workerEnabled) return;
    this.stopped = false;
    this.nudge();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Look for work now (after a batch was stored, or an operator asked for a retry). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.nudge(), this.again ? 0 : this.settings.pollMs);
      this.timer.unref();
      this.again = false;
    });
  }

  /** Claims and applies due events until none is left; returns how many were handled. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.runOnce();
      total += n;
      if (n < CLAIM_BATCH) return total;
    }
  }

  async runOnce(): Promise<number> {
    const claimed: ClaimedEvent[] = (await this.dataSource.query(CLAIM_SQL, [CLAIM_BATCH, this.settings.leaseSeconds]))[0];
    // Oldest Stripe event first: the stale-event guards make order irrelevant, but in order is cheaper.
    claimed.sort((a, b) => a.payload.created - b.payload.created);
    for (const event of claimed) await this.process(event);
    return claimed.length;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.drain();
      } catch (error) {
        this.logger.warn({ err: error }, 'Webhook worker pass failed; retrying at the next poll');
        return;
      }
    } while (this.again && !this.stopped);
  }

  private async process(event: ClaimedEvent): Promise<void> {
    const settlement = await this.settle(event);
    if (settlement.status === 'processed') {
      await this.dataSource.query(
        `UPDATE webhook_events SET status = 'processed', processed_at = now(), locked_until = NULL, note = $3, last_error = NULL WHERE ${HELD}`,
        [event.id, event.attempts, settlement.note],
      );
    } else if (settlement.status === 'retry') {
      await this.dataSource.query(
        `UPDATE webhook_events SET status = 'pending', locked_until = NULL, last_error = $3,
                next_attempt_at = now() + make_interval(secs => $4) WHERE ${HELD}`,
        [event.id, event.attempts, settlement.error, settlement.delayMs / 1000],
      );
    } else {
      this.logger.warn(
        { eventId: event.id, type: event.type, attempts: event.attempts, error: settlement.error },
        'Webhook event failed for good (dead letter)',
      );
      await this.dataSource.query(`UPDATE webhook_events SET status = 'failed', locked_until = NULL, last_error = $3 WHERE ${HELD}`, [
        event.id,
        event.attempts,
        settlement.error,
      ]);
    }
  }

  private async settle(event: ClaimedEvent): Promise<Settlement> {
    const { maxAttempts, backoffBaseMs, notYetDeadlineSeconds } = this.settings;
    // Claims that never settled (the process died or the lease ran out each time) count too: an event
    // that kills its worker must not be retried forever. An event waiting for its row (not_yet) is bounded
    // by its own deadline instead: those retries settled, and a fast backoff would otherwise spend the
    // budget before the creating request commits.
    const notYetDeadline = new Date(event.received_at).getTime() + notYetDeadlineSeconds * 1000;
    const waitingForRow = !!event.last_error?.startsWith('not_yet') && Date.now() < notYetDeadline;
    if (event.attempts > maxAttempts && !waitingForRow)
      return {
        status: 'failed',
        error: `gave up after ${event.attempts - 1} attempts that never completed (worker crash or lease expiry)`,
      };
    let outcome;
    try {
      outcome = await this.dispatcher.dispatch(event.payload);
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (event.attempts >= maxAttempts) return { status: 'failed', error: `${message} (after ${event.attempts} attempts)` };
      return { status: 'retry', error: message, delayMs: backoffMs(event.attempts, backoffBaseMs) };
    }
    switch (outcome.result) {
      case 'applied':
        return { status: 'processed', note: outcome.detail ?? null };
      case 'stale':
        return { status: 'processed', note: outcome.detail ?? 'stale: the local row already holds this or a newer state' };
      case 'foreign':
        return { status: 'processed', note: 'foreign object: not created by this service, recorded and not applied' };
      case 'unhandled':
        return { status: 'processed', note: `no handler for ${event.type}` };
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
