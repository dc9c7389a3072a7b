// Code lenses on triggers: the next fire times of `cron@1` (computed with the very CronSchedule the cron plugin
// arms its timers with: one implementation) and `schedule@1`, and the deadline ladder of `deadman@1` in words.
import { CronSchedule } from "@latchflow/builtin-plugins";
import { formatDuration, parseDuration } from "@latchflow/spec";
import { isMap, isScalar, isSeq, type YAMLMap } from "yaml";
import { type Item, items, parseText } from "./document.js";
import type { CodeLens } from "./types.js";

/** How many fire times a cron lens shows. */
export const NEXT_FIRE_TIMES = 5;

export interface LensOptions {
  /** The instant "next" is counted from (ms since the epoch). */
  now: number;
  /**
   * With a server connection: the document's uri, for the "Plan" / "Apply" / "Run" / "Open runs" lenses on
   * `metadata.name` (commands `latchflow.plan` / `.apply` / `.run` / `.showRuns` with the uri, run by the client;
   * "Run" only with a `manual@1` trigger, the one a person can fire).
   */
  commandsFor?: string;
}

/** Lenses for the document's triggers (informational: their command is empty, so clicking does nothing). */
export function codeLenses(text: string, options: LensOptions): CodeLens[] {
  const parsed = parseText(text);
  const out: CodeLens[] = [];
  const name = parsed.doc.getIn(["metadata", "name"], true);
  if (options.commandsFor !== undefined && isScalar(name) && typeof name.value === "string" && name.range) {
    const range = parsed.lines.range(name.range[0], name.range[1]);
    const args = [options.commandsFor];
    const manual = items(parsed.doc, "triggers").some((t) => t.uses?.value === "manual@1");
    for (const [title, command] of [
      ["Plan", "latchflow.plan"],
      ["Apply", "latchflow.apply"],
      ...(manual ? [["Run", "latchflow.run"]] : []),
      ["Open runs", "latchflow.showRuns"],
    ] as const) {
      out.push({ range, command: { title, command, arguments: args } });
    }
  }
  for (const item of items(parsed.doc, "triggers")) {
    const anchor = item.uses ?? item.id;
    if (!anchor?.range) continue;
    const range = parsed.lines.range(anchor.range[0], anchor.range[1]);
    for (const title of triggerLenses(item, options.now))
      out.push({ range, command: { title, command: "" } });
  }
  return out;
}

function config(item: Item): YAMLMap | undefined {
  const w = item.node.get("with", true);
  return isMap(w) ? w : undefined;
}

function str(map: YAMLMap | undefined, key: string): string | undefined {
  const v = map?.get(key, true);
  return isScalar(v) && typeof v.value === "string" ? v.value : undefined;
}

/** The titles for one trigger; none when its config is incomplete or wrong (diagnostics say why). */
export function triggerLenses(item: Item, now: number): string[] {
  const w = config(item);
  switch (item.uses?.value) {
    case "cron@1":
      return cronLens(w, now);
    case "schedule@1":
      return scheduleLens(w, now);
    case "deadman@1":
      return deadmanLens(w, now);
    default:
      return [];
  }
}

function cronLens(w: YAMLMap | undefined, now: number): string[] {
  const schedule = str(w, "schedule");
  if (!schedule) return [];
  const zone = str(w, "timeZone") ?? "UTC";
  let cron: CronSchedule;
  try {
    cron = new CronSchedule(schedule, zone);
  } catch {
    return [];
  }
  const times: number[] = [];
  for (let t = cron.next(now); t !== null && times.length < NEXT_FIRE_TIMES; t = cron.next(t)) times.push(t);
  if (times.length === 0) return [`Never fires (no date matches ${schedule})`];
  return [`Next (${zone}): ${times.map((t) => wallClock(t, zone)).join(" · ")}`];
}

function scheduleLens(w: YAMLMap | undefined, now: number): string[] {
  const at = str(w, "at");
  const ms = at === undefined ? Number.NaN : Date.parse(at);
  if (Number.isNaN(ms)) return [];
  const zone = str(w, "timeZone") ?? "UTC";
  let when: string;
  try {
    when = wallClock(ms, zone);
  } catch {
    return [];
  }
  return ms > now
    ? [`Fires once: ${when} (${zone}), in ${formatDuration(roundToMinute(ms - now))}`]
    : [`Fires once: ${when} (${zone}), already past: fires as soon as the pipeline is applied`];
}

function deadmanLens(w: YAMLMap | undefined, now: number): string[] {
  const every = duration(str(w, "checkInEvery"));
  if (every === undefined) return [];
  const graceText = str(w, "grace");
  const grace = graceText === undefined ? 0 : duration(graceText);
  if (grace === undefined) return [];
  const remindNode = w?.get("remind", true);
  const remind: number[] = [];
  if (isSeq(remindNode)) {
    for (const r of remindNode.items) {
      const ms = isScalar(r) && typeof r.value === "string" ? duration(r.value) : undefined;
      if (ms === undefined) return [];
      remind.push(ms);
    }
  }
  const deadline = every + grace;
  const f = formatDuration;
  const parts = [
    `Check in at least every ${f(every)}`,
    grace > 0
      ? `fires ${f(deadline)} after the last check-in (${f(every)} + ${f(grace)} grace)`
      : `fires ${f(deadline)} after the last check-in (no grace)`,
  ];
  const sorted = [...new Set(remind)].sort((a, b) => b - a);
  if (sorted.length > 0) {
    const at = sorted.map((r) => f(Math.max(0, deadline - r)));
    parts.push(
      `${sorted.length === 1 ? "reminder" : "reminders"} ${list(sorted.map(f))} before that (${list(at)} after the check-in)`,
    );
  } else {
    parts.push("no reminders");
  }
  const lenses = [parts.join(" · ")];
  const pausedUntil = str(w, "pausedUntil");
  const paused = pausedUntil === undefined ? Number.NaN : Date.parse(pausedUntil);
  const from = !Number.isNaN(paused) && paused > now ? paused : now;
  const prefix = from === now ? "Checking in now" : `Paused until ${wallClock(paused, "UTC")} (UTC); then`;
  const reminders = sorted.map((r) => from + deadline - r).filter((t) => t >= from);
  lenses.push(
    `${prefix}: ${reminders.length > 0 ? `reminders ${list(reminders.map((t) => wallClock(t, "UTC")))}, ` : ""}fires ${wallClock(from + deadline, "UTC")} (UTC)`,
  );
  return lenses;
}

function duration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const d = parseDuration(text);
  return d.ok ? d.ms : undefined;
}

function roundToMinute(ms: number): number {
  return Math.max(60_000, Math.round(ms / 60_000) * 60_000);
}

function list(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** `Mon 2026-12-07 09:00` in `zone` (seconds shown only when not zero); throws on an unknown zone. */
export function wallClock(ms: number, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const seconds = parts.second && parts.second !== "00" ? `:${parts.second}` : "";
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${seconds}`;
}
