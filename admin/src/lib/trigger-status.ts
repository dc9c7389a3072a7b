/**
 * Reading a pipeline's triggers (listPipelineTriggers): what kind each is, the status the built-in triggers
 * report (deadman@1, cron@1, schedule@1; the contract describes their shapes), a manual trigger's payload schema,
 * and the payload typed into the Run form.
 */

export type TriggerKind = "manual" | "deadman" | "cron" | "schedule" | "webhook" | "other";

const KINDS: Record<string, TriggerKind> = {
  manual: "manual",
  deadman: "deadman",
  cron: "cron",
  schedule: "schedule",
  webhook: "webhook",
};

/** The built-in trigger a `uses` names (`deadman@1` → deadman); third-party ones (`plugin/x@1`) are "other". */
export function triggerKind(uses: string): TriggerKind {
  if (uses.includes("/")) return "other";
  return KINDS[uses.split("@")[0] ?? ""] ?? "other";
}

const TITLES: Record<TriggerKind, string> = {
  manual: "Run by hand",
  deadman: "Dead-man's switch",
  cron: "On a schedule",
  schedule: "Once, at a set time",
  webhook: "Webhook",
  other: "Trigger from a plugin",
};
export const triggerTitle = (kind: TriggerKind): string => TITLES[kind];

export interface LadderStep {
  /** how long before the deadline, as written (`7d`) */
  entry: string;
  at: string;
  sent: boolean;
}

export interface DeadmanStatus {
  deadline: string;
  periodStart: string;
  lastCheckInAt: string | undefined;
  paused: boolean;
  pausedUntil: string | undefined;
  fired: boolean;
  ladder: LadderStep[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** deadman@1's status, or undefined when the value is not one. */
export function deadmanStatus(value: unknown): DeadmanStatus | undefined {
  if (!isObject(value)) return undefined;
  const deadline = str(value.deadline);
  const periodStart = str(value.periodStart);
  if (!deadline || !periodStart || !Array.isArray(value.ladder)) return undefined;
  const ladder = value.ladder.filter(
    (x): x is LadderStep =>
      isObject(x) && typeof x.entry === "string" && typeof x.at === "string" && typeof x.sent === "boolean",
  );
  return {
    deadline,
    periodStart,
    lastCheckInAt: str(value.lastCheckInAt),
    paused: value.paused === true,
    pausedUntil: str(value.pausedUntil),
    fired: value.fired === true,
    ladder,
  };
}

/** cron@1's next fire times (empty when the value is not its status). */
export function cronNext(value: unknown): string[] {
  if (!isObject(value) || !Array.isArray(value.next)) return [];
  return value.next.filter((x): x is string => typeof x === "string");
}

/** schedule@1's status: its instant and whether (when) it fired. */
export function scheduleStatus(
  value: unknown,
): { at: string; firedAt: string | undefined; fired: boolean } | undefined {
  if (!isObject(value) || typeof value.at !== "string") return undefined;
  return { at: value.at, fired: value.fired === true, firedAt: str(value.firedAt) };
}

/** A manual trigger's `payloadSchema`, if it has one. */
export function payloadSchemaOf(config: unknown): Record<string, unknown> | undefined {
  return isObject(config) && isObject(config.payloadSchema) ? config.payloadSchema : undefined;
}

/** In a sentence, what an object schema asks for: "Needs name (string) and age (integer)." */
export function schemaSummary(schema: Record<string, unknown>): string {
  const required = Array.isArray(schema.required)
    ? schema.required.filter((x): x is string => typeof x === "string")
    : [];
  if (required.length === 0) return "The payload must match the schema below.";
  const props = isObject(schema.properties) ? schema.properties : {};
  const parts = required.map((name) => {
    const p = props[name];
    const type = isObject(p) && typeof p.type === "string" ? ` (${p.type})` : "";
    return `${name}${type}`;
  });
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
  return `Needs ${list}.`;
}

export type ParsedPayload = { ok: true; value: unknown } | { ok: false; error: string };

/** The payload typed into the form: empty means none (the run sees `{}`), else it must be JSON. */
export function parsePayload(text: string): ParsedPayload {
  if (text.trim() === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const why = err instanceof Error ? err.message : "";
    return { ok: false, error: `This is not valid JSON${why ? ` (${why})` : ""}.` };
  }
}

/** The refusals of a payload the server checked against the schema (422 `issues`), one sentence each. */
export function payloadIssues(details: Record<string, unknown>): string[] {
  const issues = Array.isArray(details.issues) ? details.issues : [];
  return issues.filter(isObject).map((i) => {
    const path = typeof i.path === "string" && i.path ? i.path.replace(/^\//, "").replaceAll("/", ".") : "";
    const message = typeof i.message === "string" ? i.message : "is not valid";
    return path ? `${path}: ${message}` : `The payload ${message}`;
  });
}

/** An `<input type="datetime-local">` value (local time, minutes) for an instant. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The instant a datetime-local value names (in the browser's time zone), or undefined. */
export function fromLocalInput(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
