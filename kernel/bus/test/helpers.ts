import { pino } from "pino";
import { createEvent, type EventBus, type EventEnvelope } from "../src/index.js";
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

/**
 * Subscribes `fast` (acks every event) and `slow` (auth events only; holds the first until `release()`), then
 * publishes a bundle, a bundle, a user and a bundle event (seqs 1–4). Resolves once `fast` acked all four and
 * `slow` holds the user event.
 */
export async function publishWithOneHeld(
  bus: EventBus,
): Promise<{ events: EventEnvelope[]; release(): void }> {
  const acked: string[] = [];
  await bus.subscribe({ consumer: "fast", filter: "lf.>" }, async (e) => {
    acked.push(e.id);
  });
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding = false;
  await bus.subscribe({ consumer: "slow", filter: "lf.*.auth.>" }, async () => {
    holding = true;
    await held;
  });
  const events = [bundleCreated(), bundleCreated(), userCreated(), bundleCreated()];
  for (const e of events) await bus.publish(e);
  await waitFor(() => acked.length === 4 && holding, "fast acked all, slow holds the user event");
  return { events, release };
}

/**
 * On a bus reopened after a prune: `fast` gets a new event and nothing else — nothing removed comes back,
 * nothing new is lost. Closes the bus.
 */
export async function expectOnlyNewEventAfterRestart(bus: EventBus): Promise<void> {
  const after: string[] = [];
  await bus.subscribe({ consumer: "fast", filter: "lf.>" }, async (e) => {
    after.push(e.id);
  });
  const next = bundleCreated();
  await bus.publish(next);
  await waitFor(() => after.length === 1, "a new event after the restart");
  await sleep(100);
  if (after.length !== 1 || after[0] !== next.id) throw new Error(`expected only ${next.id}, got ${after}`);
  await bus.close();
}
