import { type Host, type Json, type TriggerResult, triggerInput } from "@latchflow/plugin-sdk";
import { CronSchedule } from "../lib/cron-ticks.js";
import { defineBuiltin } from "../lib/define.js";
import { unsupported } from "../lib/responses.js";
import { instantMs, iso, ON_TIME_MS } from "../lib/time.js";
import { cronManifest } from "../manifests/cron.js";

interface CronConfig {
  schedule: string;
  timeZone?: string;
  missedRun?: "skip" | "runOnce";
}

/** kv key of the last tick fired for, so a timer delivered twice fires once. */
const LAST_FIRED = "lastFired";
/** How many upcoming ticks a status shows. */
const STATUS_TICKS = 5;

export const cronPlugin = defineBuiltin(cronManifest, async (raw: Json, host: Host) => {
  const input = triggerInput(raw);
  const config = input.config as unknown as CronConfig;
  const schedule = new CronSchedule(config.schedule, config.timeZone ?? "UTC");
  const now = instantMs(input.now, "now");
  const event = input.event;
  if (event.type === "arm") return { timers: timersAfter(schedule, now) };
  if (event.type === "status") {
    const lastFired = await host.kv.get(LAST_FIRED);
    const body: { [key: string]: Json } = { next: nextTicks(schedule, now, STATUS_TICKS) };
    if (typeof lastFired === "string") body.lastFiredFor = lastFired;
    return { response: { status: 200, body } };
  }
  if (event.type !== "timer") return unsupported(event, input.trigger.uses);

  const result: TriggerResult = { timers: timersAfter(schedule, now) };
  const ticks = schedule.between(instantMs(event.dueAt, "dueAt"), now);
  if (ticks === null) return result;
  const onTime = now - ticks.latest <= ON_TIME_MS;
  const runOnce = config.missedRun === "runOnce";
  if (!onTime && !runOnce) {
    host.log("info", "missed ticks skipped", { missed: ticks.count, latest: iso(ticks.latest) });
    return result;
  }
  const lastFired = await host.kv.get(LAST_FIRED);
  if (typeof lastFired === "string" && instantMs(lastFired, "lastFired") >= ticks.latest) {
    return result;
  }
  const scheduledAt = iso(ticks.latest);
  host.emit({ kind: "fired", payload: { scheduledAt, missed: runOnce ? ticks.count - 1 : 0 } });
  await host.kv.set(LAST_FIRED, scheduledAt);
  return result;
});

/** The next `n` ticks after `now` (fewer when the schedule ends). */
function nextTicks(schedule: CronSchedule, now: number, n: number): string[] {
  const out: string[] = [];
  let at: number | null = now;
  while (out.length < n && at !== null) {
    at = schedule.next(at);
    if (at !== null) out.push(iso(at));
  }
  return out;
}

function timersAfter(schedule: CronSchedule, now: number): { key: string; at: string }[] {
  const next = schedule.next(now);
  return next === null ? [] : [{ key: "tick", at: iso(next) }];
}
