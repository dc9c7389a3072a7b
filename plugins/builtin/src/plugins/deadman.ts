import {
  type ControlAction,
  type Host,
  type Json,
  type TriggerInput,
  type TriggerResult,
  triggerInput,
} from "@latchflow/plugin-sdk";
import {
  applyPause,
  type DeadmanConfig,
  type DeadmanState,
  deadlineOf,
  restartPeriod,
  timersOf,
} from "../lib/deadman-state.js";
import { defineBuiltin } from "../lib/define.js";
import { errorResponse, unsupported } from "../lib/responses.js";
import { durationMs, instantMs, iso, parseInstant } from "../lib/time.js";
import { deadmanManifest } from "../manifests/deadman.js";

const STATE_KEY = "state";
const REMIND_PREFIX = "remind:";

export const deadmanPlugin = defineBuiltin(deadmanManifest, async (raw: Json, host: Host) => {
  const input = triggerInput(raw);
  const event = input.event;
  if (event.type === "request") return unsupported(event, input.trigger.uses);
  const config = input.config as unknown as DeadmanConfig;
  const now = instantMs(input.now, "now");
  const stored = (await host.kv.get(STATE_KEY)) as unknown as DeadmanState | null;
  const state: DeadmanState = stored ?? { periodStart: iso(now), remindersSent: [], fired: false };

  if (event.type === "status") return { response: { status: 200, body: statusOf(state, config, now) } };
  let result: TriggerResult;
  if (event.type === "control") {
    result = control(state, config, now, event.action, event.until);
  } else {
    const periodBefore = stored?.periodStart;
    const pausedUntil = applyPause(state, config, now);
    result = { timers: timersOf(state, config, now, pausedUntil) };
    if (event.type === "timer" && pausedUntil === null && !state.fired) {
      if (event.key === "deadline") result = fireIfDue(state, config, now, host) ?? result;
      else if (event.key.startsWith(REMIND_PREFIX) && state.periodStart === periodBefore) {
        await remind(input, state, config, now, event.key.slice(REMIND_PREFIX.length), host);
        // the other pending timers stay as they are: an overdue reminder (kernel was down) still gets sent
        result = {};
      }
    }
  }
  await host.kv.set(STATE_KEY, state);
  return result;
});

function control(
  state: DeadmanState,
  config: DeadmanConfig,
  now: number,
  action: ControlAction,
  until: string | undefined,
): TriggerResult {
  if (action === "check-in") {
    restartPeriod(state, now);
    state.lastCheckInAt = iso(now);
  } else if (action === "pause") {
    const untilMs = parseInstant(until);
    if (untilMs === null || untilMs <= now) {
      return errorResponse(400, "invalid_until", "pause needs `until`, an instant in the future");
    }
    state.controlPausedUntil = iso(untilMs);
  } else if (action === "resume") {
    delete state.controlPausedUntil;
  }
  const pausedUntil = applyPause(state, config, now);
  const timers = timersOf(state, config, now, pausedUntil);
  if (action === "resume" && pausedUntil !== null) {
    return {
      timers,
      ...errorResponse(409, "paused_by_config", "the pipeline's pausedUntil keeps the switch paused"),
    };
  }
  const body: { [key: string]: Json } = { deadline: iso(deadlineOf(state, config)) };
  if (pausedUntil !== null) body.pausedUntil = iso(pausedUntil);
  return { timers, response: { status: 200, body } };
}

/**
 * What the owner sees of the switch (read-only: works on a copy, the kernel stores nothing of a status call):
 * the deadline, the last check-in, the pause, and the ladder of reminders before the deadline.
 */
function statusOf(stored: DeadmanState, config: DeadmanConfig, now: number): { [key: string]: Json } {
  const state = JSON.parse(JSON.stringify(stored)) as DeadmanState;
  const pausedUntil = applyPause(state, config, now);
  // while paused the period restarts when the pause ends
  if (pausedUntil !== null) restartPeriod(state, pausedUntil);
  const deadline = deadlineOf(state, config);
  const body: { [key: string]: Json } = {
    deadline: iso(deadline),
    periodStart: state.periodStart,
    paused: pausedUntil !== null,
    fired: state.fired,
    ladder: (config.remind ?? [])
      .map((entry) => ({
        entry,
        at: iso(deadline - durationMs(entry, "remind")),
        sent: state.remindersSent.includes(entry),
      }))
      .sort((a, b) => a.at.localeCompare(b.at)),
  };
  if (state.lastCheckInAt !== undefined) body.lastCheckInAt = state.lastCheckInAt;
  if (pausedUntil !== null) body.pausedUntil = iso(pausedUntil);
  return body;
}

/** Fires once per period, only when the deadline really passed. */
function fireIfDue(
  state: DeadmanState,
  config: DeadmanConfig,
  now: number,
  host: Host,
): TriggerResult | null {
  const deadline = deadlineOf(state, config);
  if (now < deadline) return null;
  const payload: { [key: string]: Json } = {
    deadline: iso(deadline),
    remindersSent: state.remindersSent.length,
  };
  if (state.lastCheckInAt !== undefined) payload.lastCheckInAt = state.lastCheckInAt;
  host.emit({ kind: "fired", payload });
  state.fired = true;
  return { timers: [] };
}

async function remind(
  input: TriggerInput,
  state: DeadmanState,
  config: DeadmanConfig,
  now: number,
  entry: string,
  host: Host,
): Promise<void> {
  const deadline = deadlineOf(state, config);
  if (!(config.remind ?? []).includes(entry) || state.remindersSent.includes(entry) || now >= deadline)
    return;
  const owner = input.pipeline.ownerEmail;
  const to = config.remindTo?.length ? config.remindTo : owner ? [owner] : [];
  if (to.length === 0) {
    host.log("warn", "deadman reminder skipped: no recipient", { trigger: input.trigger.id, entry });
    return;
  }
  const pipeline = input.pipeline.name;
  const lines = [
    `The dead-man switch "${input.trigger.id}" of pipeline "${pipeline}" fires at ${iso(deadline)} (UTC) unless you check in before then.`,
    "",
    `Check in: ${input.links.checkIn}`,
    "",
    state.lastCheckInAt === undefined
      ? `The current period started at ${state.periodStart}.`
      : `Your last check-in was at ${state.lastCheckInAt}.`,
  ];
  await host.mail.send({
    to,
    subject: `Check in to keep "${pipeline}" from firing`,
    text: `${lines.join("\n")}\n`,
    idempotencyKey: `deadman:${pipeline}:${input.trigger.id}:${state.periodStart}:${entry}`,
  });
  state.remindersSent.push(entry);
}
