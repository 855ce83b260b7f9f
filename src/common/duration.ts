const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** One duration with its unit: `250ms`, `5s`, `30m`, `2h`, `1d`. */
export const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;

/** A comma-separated list of durations (`5s,5m,30m`), as env variables spell retry schedules. */
export const DURATION_LIST = /^\s*\d{1,9}(ms|s|m|h|d)\s*(,\s*\d{1,9}(ms|s|m|h|d)\s*)*$/;

export function parseDurationMs(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${text} (use e.g. 500ms, 5s, 5m, 2h, 1d)`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export const parseDurationList = (text: string): number[] => text.split(',').map(parseDurationMs);
