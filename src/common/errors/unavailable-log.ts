import type { Logger } from '@nestjs/common';

const INTERVAL_MS = 10_000;

interface Window {
  count: number;
  reason?: string;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Outage noise is logged once per interval and kind, with how many there were, not once per request or
 * per poll: a database outage answered to hundreds of requests a second must not bury the log (issue #11).
 * The first occurrence after a quiet interval is logged at once; the ones after it are counted and summed up
 * at the end of each interval while they go on.
 */
export class UnavailableLog {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly intervalMs = INTERVAL_MS) {}

  /** `kind` names what happened, e.g. "Answering 503 database_unavailable" or "Webhook worker pass failed: database unavailable". */
  note(logger: Pick<Logger, 'warn'>, kind: string, reason?: string): void {
    const open = this.windows.get(kind);
    if (open) {
      open.count++;
      open.reason = reason ?? open.reason;
      open.logger = logger;
      return;
    }
    logger.warn(
      { kind, reason },
      `${kind}${reason ? ` (${reason})` : ''}; more of these are counted and logged every ${this.intervalMs / 1000} s`,
    );
    this.open(kind, logger);
  }

  private open(kind: string, logger: Pick<Logger, 'warn'>): void {
    const window: Window = { count: 0, logger };
    this.windows.set(kind, window);
    setTimeout(() => {
      this.windows.delete(kind);
      if (window.count === 0) return;
      window.logger.warn(
        { kind, reason: window.reason, count: window.count, intervalSeconds: this.intervalMs / 1000 },
        `${kind}: ${window.count} more in the last ${this.intervalMs / 1000} s${window.reason ? ` (${window.reason})` : ''}`,
      );
      // Still going on: keep summing up instead of logging the next one alone.
      this.open(kind, window.logger);
    }, this.intervalMs).unref();
  }
}

/** One per process: every path that meets an outage (the error filter, request hooks, background loops) shares it. */
export const unavailableLog = new UnavailableLog();
