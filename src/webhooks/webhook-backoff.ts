const MAX_BACKOFF_MS = 60 * 60 * 1000;

/** Delay before the next attempt after `attempts` tries: base, 2x base, 4x base, ... capped at one hour, with +-20% jitter so a burst of failures does not retry in lockstep. */
export function backoffMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
  return Math.round(exponential * (0.8 + 0.4 * random()));
}
