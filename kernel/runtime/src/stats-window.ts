const DAY_MS = 86_400_000;

/**
 * The window of dashboard figures over the last `days` UTC days, today included: from 00:00 UTC of the first
 * day to `now` (days clamped to 1-90).
 */
export function statsWindow(now: Date, days: number): { from: Date; to: Date } {
  const n = Math.min(90, Math.max(1, Math.trunc(days) || 30));
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { from: new Date(today - (n - 1) * DAY_MS), to: now };
}
