// The sandbox bundle takes only this dependency-free entry point, not the whole validator (ajv, CEL, yaml).
import { parseDuration } from "@latchflow/spec/duration";

/** How late a timer may be handled and still count as on time (cron: later ticks are missed; schedule: late). */
export const ON_TIME_MS = 60_000;

/** RFC 3339 with an explicit offset (`Z` or `±hh:mm`); what `Date.parse` is allowed to read. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds of an RFC 3339 instant, or null when `value` is not one. */
export function parseInstant(value: unknown): number | null {
  const ms = typeof value === "string" && RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? ms : null;
}

/** Milliseconds of an RFC 3339 instant; throws an Error naming `what` when it is not one. */
export function instantMs(value: unknown, what: string): number {
  const ms = parseInstant(value);
  if (ms === null) throw new Error(`${what} is not a date-time: ${JSON.stringify(value)}`);
  return ms;
}

/** ISO 8601 in UTC (`2030-01-01T09:00:00.000Z`). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Milliseconds of a Latchflow duration (`30d`, `1h30m`, `PT15M`; the validator's own parser, so plugin
 * and validator agree); throws an Error naming `what` when it is not one.
 */
export function durationMs(value: unknown, what: string): number {
  if (typeof value !== "string") throw new Error(`${what} must be a duration string`);
  const parsed = parseDuration(value);
  if (!parsed.ok) throw new Error(`${what}: ${parsed.message}`);
  return parsed.ms;
}
