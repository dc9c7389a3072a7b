import { pino } from "pino";
import { createEvent, type EventEnvelope } from "../src/index.js";
import type { Logger } from "../src/logger.js";

/** Polls `condition` every few ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A debug-level pino logger that keeps every line it writes. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

let counter = 0;

export function bundleCreated(tenant = "acme", requestId?: string): EventEnvelope<"bundles.bundle.created"> {
  const bundleId = `b${++counter}`;
  return createEvent({
    type: "bundles.bundle.created",
    tenant,
    actor: { kind: "user", id: "u1" },
    subjectIds: { bundleId },
    ...(requestId ? { requestId } : {}),
    data: { bundleId, name: `Bundle ${bundleId}` },
  });
}

export function userCreated(tenant = "acme"): EventEnvelope<"auth.user.created"> {
  return createEvent({
    type: "auth.user.created",
    tenant,
    actor: { kind: "system", id: "seed" },
    subjectIds: { userId: `u${++counter}` },
    data: { email: `u${counter}@example.com`, role: "admin" },
  });
}

/** Counts occurrences of each value. */
export function tally(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
