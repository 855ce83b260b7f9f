import type { Logger } from '@nestjs/common';
import { databaseUnavailableReason } from './errors/database-unavailable';
import { unavailableLog } from './errors/unavailable-log';

/**
 * Runs `pass` again and again: right away while it reports more work, when nudged, else every
 * `intervalMs`. Never two passes at once in one process; a failing pass is logged and retried at the next
 * tick. Background workers (the webhook inbox, outbox horizon, notification deliveries, NATS publishing)
 * share this one shape.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<boolean>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.nudge();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Look for work now (or right after the pass in progress). */
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
      this.timer = setTimeout(() => this.nudge(), this.again ? 0 : this.intervalMs);
      this.timer.unref();
      this.again = false;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        while ((await this.pass()) && !this.stopped);
      } catch (error) {
        const outage = databaseUnavailableReason(error);
        // A database outage fails every tick alike: counted, not logged four times a second.
        if (outage) unavailableLog.note(this.logger, `${this.name} pass failed: database unavailable`, outage);
        else this.logger.warn({ err: error }, `${this.name} pass failed; retrying at the next tick`);
        return;
      }
    } while (this.again && !this.stopped);
  }
}
