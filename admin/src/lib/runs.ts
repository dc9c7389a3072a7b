import type { schemas } from "@latchflow/api";

/** Plain words for runs and their steps: statuses, durations, the timeline of a run, what changed. */

type Run = schemas.Run;
type RunStep = schemas.RunStep;
export type RunStatus = Run["status"];
export type StepStatus = RunStep["status"];

const LOCALE = "en";

/** Every run status, in the order a run goes through them, with what a person reads. */
export const RUN_STATUSES: readonly { value: RunStatus; label: string }[] = [
  { value: "queued", label: "Queued" },
  { value: "running", label: "Running" },
  { value: "waiting", label: "Waiting to retry" },
  { value: "succeeded", label: "Succeeded" },
  { value: "failed", label: "Failed" },
];

const STEP_LABELS: Record<StepStatus, string> = {
  pending: "Not started",
  running: "Running",
  waiting: "Waiting to retry",
  succeeded: "Succeeded",
  failed: "Failed",
  skipped: "Skipped",
};

const ATTEMPT_LABELS: Record<string, string> = {
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  abandoned: "Abandoned (the server restarted)",
};

export const runStatusLabel = (s: RunStatus): string => RUN_STATUSES.find((x) => x.value === s)?.label ?? s;
export const stepStatusLabel = (s: StepStatus): string => STEP_LABELS[s] ?? s;
export const attemptStatusLabel = (s: string): string => ATTEMPT_LABELS[s] ?? s;

/** A status query parameter, if it names a run status. */
export function parseRunStatus(value: string | null): RunStatus | undefined {
  return RUN_STATUSES.find((x) => x.value === value)?.value;
}

/** Whether a run (or step) will not change any more. */
export const isFinished = (status: string): boolean =>
  status === "succeeded" || status === "failed" || status === "skipped";

/**
 * A duration as people say it: "350 ms", "4.2 s", "12 s", "3 min 5 s", "2 h 4 min", "3 d 2 h" (the two largest
 * units, the smaller one left out when it is zero).
 */
export function formatDuration(ms: number): string {
  const v = Math.max(0, Math.round(ms));
  if (v < 1000) return `${v} ms`;
  if (v < 10_000) return `${(Math.floor(v / 100) / 10).toFixed(1)} s`;
  const s = Math.floor(v / 1000);
  if (s < 60) return `${s} s`;
  const units: [number, string][] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
    [1, "s"],
  ];
  const i = units.findIndex(([size]) => s >= size);
  const [big, bigName] = units[i] as [number, string];
  const [small, smallName] = units[i + 1] as [number, string];
  const first = Math.floor(s / big);
  const second = Math.floor((s % big) / small);
  return second === 0 ? `${first} ${bigName}` : `${first} ${bigName} ${second} ${smallName}`;
}

/** How long something took (or has taken so far, when it has not finished): undefined if it never started. */
export function elapsed(startedAt: string | null, finishedAt: string | null, now: Date): number | undefined {
  if (!startedAt) return undefined;
  const end = finishedAt ? Date.parse(finishedAt) : now.getTime();
  return Math.max(0, end - Date.parse(startedAt));
}

/** A run's duration for a table cell: "—" before it started, "12 s so far" while it runs. */
export function runDuration(run: Pick<Run, "startedAt" | "finishedAt">, now: Date): string {
  const ms = elapsed(run.startedAt, run.finishedAt, now);
  if (ms === undefined) return "—";
  return run.finishedAt ? formatDuration(ms) : `${formatDuration(ms)} so far`;
}

/** A time of day with seconds ("14:03:27"), for events inside one run. */
export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(LOCALE, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(new Date(iso));
}

/** A date with its time to the second ("Mar 4, 2030, 14:03:27"). */
export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat(LOCALE, {
    dateStyle: "medium",
    timeStyle: "medium",
    hourCycle: "h23",
  }).format(new Date(iso));
}

/** How far from now an instant is: "in 3 s", "5 min ago", "now". */
export function relativeTo(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  if (Math.abs(ms) < 1000) return "now";
  return ms > 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
}

export interface TimelineAttempt {
  number: number;
  status: string;
  label: string;
  startedAt: string;
  /** how long it took, or has taken so far */
  duration: string;
  /** "code: message", or "" */
  error: string;
  /** when the next attempt is due, if this one failed and another follows */
  nextRetryAt: string | null;
}

export interface TimelineStep {
  stepId: string;
  uses: string;
  status: StepStatus;
  label: string;
  /** what to say under the heading: why it was skipped, when it retries, that it has not started */
  note: string;
  duration: string | undefined;
  attempts: TimelineAttempt[];
  /** "code: message" of the step, or "" */
  error: string;
  /** the outputs as indented JSON, or "" when there are none */
  outputs: string;
}

const errorText = (code: string, message: string) =>
  code ? `${code}${message ? `: ${message}` : ""}` : message;

/** The steps of a run as the timeline shows them, each with its attempts, at the instant `now`. */
export function buildTimeline(run: Run, now: Date): TimelineStep[] {
  return (run.steps ?? []).map((s) => {
    const attempts: TimelineAttempt[] = s.attempts.map((a) => {
      const ms = elapsed(a.startedAt, a.finishedAt, now);
      return {
        number: a.number,
        status: a.status,
        label: attemptStatusLabel(a.status),
        startedAt: a.startedAt,
        duration: ms === undefined ? "—" : a.finishedAt ? formatDuration(ms) : `${formatDuration(ms)} so far`,
        error: errorText(a.errorCode, a.errorMessage),
        nextRetryAt: a.nextRetryAt,
      };
    });
    const retryAt = attempts.at(-1)?.nextRetryAt ?? null;
    let note = "";
    if (s.status === "skipped") {
      note = s.condition
        ? `Skipped: its condition (if: ${s.condition}) was false.`
        : "Skipped: its condition was false.";
    } else if (s.status === "waiting" && retryAt) {
      note = `Attempt ${attempts.length} failed. Next attempt ${relativeTo(retryAt, now)}, at ${formatTime(retryAt)}.`;
    } else if (s.status === "pending") {
      note = run.status === "failed" ? "Not run: the run stopped before this step." : "Not started yet.";
    } else if (s.status === "failed" && s.errorCode === "condition_error") {
      note = `Its condition (if: ${s.condition}) could not be evaluated.`;
    }
    const ms = elapsed(s.startedAt, s.finishedAt, now);
    const outputs = s.outputs === null || s.outputs === undefined ? "" : JSON.stringify(s.outputs, null, 2);
    return {
      stepId: s.stepId,
      uses: s.uses,
      status: s.status,
      label: stepStatusLabel(s.status),
      note,
      duration: ms === undefined ? undefined : formatDuration(ms),
      attempts,
      error: s.status === "failed" ? errorText(s.errorCode, s.errorMessage) : "",
      outputs: s.status === "succeeded" ? outputs : "",
    };
  });
}

/**
 * What changed between two readings of a run, as sentences for a polite live region: each step that moved on
 * (with its attempt when it retries), then the run's own end. Empty when nothing changed.
 */
export function describeChanges(before: Run, after: Run): string[] {
  const out: string[] = [];
  const old = new Map((before.steps ?? []).map((s) => [s.stepId, s]));
  for (const s of after.steps ?? []) {
    const prev = old.get(s.stepId);
    if (prev && prev.status === s.status && prev.attempts.length === s.attempts.length) continue;
    const attempt = s.attempts.length > 1 ? ` (attempt ${s.attempts.length})` : "";
    if (s.status === "pending") continue;
    if (s.status === "waiting") {
      const at = s.attempts.at(-1)?.nextRetryAt;
      out.push(`Step ${s.stepId} failed and will retry${at ? ` at ${formatTime(at)}` : ""}.`);
    } else out.push(`Step ${s.stepId}: ${stepStatusLabel(s.status).toLowerCase()}${attempt}.`);
  }
  if (before.status !== after.status && isFinished(after.status)) {
    out.push(`The run ${after.status === "succeeded" ? "succeeded" : "failed"}.`);
  }
  return out;
}
