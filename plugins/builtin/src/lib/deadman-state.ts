import { durationMs, instantMs, iso } from "./time.js";

/** What deadman@1 keeps in kv (instants as ISO strings). */
export type DeadmanState = {
  /** Start of the current period: the first arm, the last check-in, or the end of the last pause. */
  periodStart: string;
  lastCheckInAt?: string;
  /** `remind` entries already sent in this period. */
  remindersSent: string[];
  /** Whether the switch fired for this period. */
  fired: boolean;
  /** A pause set through the `pause` control. */
  controlPausedUntil?: string;
  /** The end of the pause in effect when last seen; its passing restarts the period. */
  pauseEnd?: string;
};

export interface DeadmanConfig {
  checkInEvery: string;
  grace?: string;
  remind?: string[];
  remindTo?: string[];
  pausedUntil?: string;
}

export interface Timer {
  key: string;
  at: string;
}

/** A new period from `at`: reminders and the fired flag start over. */
export function restartPeriod(state: DeadmanState, at: number): void {
  state.periodStart = iso(at);
  state.remindersSent = [];
  state.fired = false;
}

/** last period start + checkInEvery + grace. */
export function deadlineOf(state: DeadmanState, config: DeadmanConfig): number {
  return (
    instantMs(state.periodStart, "periodStart") +
    durationMs(config.checkInEvery, "checkInEvery") +
    durationMs(config.grace ?? "0s", "grace")
  );
}

/**
 * Applies pauses: returns the end of the pause in effect (a control pause or `config.pausedUntil` still in
 * the future), or null. When a pause seen before is over (it ran out, was resumed, or was removed from the
 * config) the period restarts at its end, or now if it was cut short; a check-in made after that instant
 * is kept.
 */
export function applyPause(state: DeadmanState, config: DeadmanConfig, now: number): number | null {
  const ends = [state.controlPausedUntil, config.pausedUntil]
    .filter((v): v is string => typeof v === "string")
    .map((v) => instantMs(v, "pausedUntil"));
  const end = ends.length === 0 ? null : Math.max(...ends);
  if (end !== null && end > now) {
    state.pauseEnd = iso(end);
    return end;
  }
  delete state.controlPausedUntil;
  if (state.pauseEnd !== undefined) {
    const restartAt = Math.min(instantMs(state.pauseEnd, "pauseEnd"), now);
    delete state.pauseEnd;
    if (restartAt > instantMs(state.periodStart, "periodStart")) restartPeriod(state, restartAt);
  }
  return null;
}

/**
 * The timers of the current state: `resume` while paused; nothing once fired; otherwise one
 * `remind:<entry>` per reminder still in the future and not sent, plus `deadline`.
 */
export function timersOf(
  state: DeadmanState,
  config: DeadmanConfig,
  now: number,
  pausedUntil: number | null,
): Timer[] {
  if (pausedUntil !== null) return [{ key: "resume", at: iso(pausedUntil) }];
  if (state.fired) return [];
  const deadline = deadlineOf(state, config);
  const timers: Timer[] = [];
  for (const entry of config.remind ?? []) {
    const at = deadline - durationMs(entry, "remind");
    if (at > now && !state.remindersSent.includes(entry))
      timers.push({ key: `remind:${entry}`, at: iso(at) });
  }
  timers.sort((a, b) => a.at.localeCompare(b.at));
  timers.push({ key: "deadline", at: iso(deadline) });
  return timers;
}
