// What the builder's pieces share: the draft, the pickers' choices and the problems, and the edits it makes (a key
// set or removed in the pipeline's maps, created with its parent when the parent is not there yet).
import type { schemas } from "@latchflow/api";
import { type JsonSchema, parseUses, pipelineSchema } from "@latchflow/spec/browser";
import { getContext, setContext } from "svelte";
import type { PipelineDraft } from "./draft.svelte.js";
import { type Problem, pointer, problemsAt, sentence } from "./problems.js";
import { checkValue, type FieldSpec, fieldsOf, labelOf } from "./schema-form.js";
import { type Edit, type Path, valueAt } from "./yaml-source.js";

/** Keys of a step, and of a trigger, in the order the docs write them (new keys go to their place). */
export const STEP_ORDER = ["id", "uses", "if", "with", "retry", "timeout", "onFailure"] as const;
export const TRIGGER_ORDER = ["id", "uses", "with"] as const;

/** The fields of `retry:`, from the pipeline schema itself. */
export const RETRY_FIELDS: FieldSpec[] = fieldsOf(
  (pipelineSchema.$defs as Record<string, JsonSchema>).retry as JsonSchema,
  pipelineSchema,
);

export interface PickerChoice {
  value: string;
  label: string;
  detail?: string;
}

export interface BuilderContext {
  draft: () => PipelineDraft;
  bundles: () => readonly PickerChoice[];
  recipients: () => readonly PickerChoice[];
  /** the problems of the current document */
  problems: () => readonly Problem[];
}

const KEY = Symbol("pipeline-builder");
export const setBuilderContext = (ctx: BuilderContext) => setContext(KEY, ctx);
export const builderContext = () => getContext<BuilderContext>(KEY);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The edit that sets `key` of the map at `objPath`: the key alone, or the map with it when the map is not there
 * yet (written at its place among `parentOrder`, so `with:` lands after `if:`).
 */
export function setKeyEdit(
  draft: PipelineDraft,
  objPath: Path,
  key: string,
  value: unknown,
  order: readonly string[],
  parentOrder: readonly string[] = [],
): Edit {
  if (!isObject(valueAt(draft.source, objPath))) {
    return { op: "set", path: objPath, value: { [key]: value }, order: parentOrder };
  }
  return { op: "set", path: [...objPath, key], value, order };
}

/** The value a field's text stands for (`undefined`: remove the key). */
export function valueOfText(field: FieldSpec, text: string): unknown {
  switch (field.kind) {
    case "number":
    case "integer": {
      const t = text.trim();
      if (t === "") return undefined;
      return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : text;
    }
    case "boolean":
      return text === "true";
    case "choice": {
      if (text === "") return undefined;
      return field.options?.find((o) => String(o) === text) ?? text;
    }
    default:
      return text === "" && !field.required ? undefined : text;
  }
}

/** A field's value as the text its control shows. */
export function textOfValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string"
    ? value
    : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);
}

/**
 * The messages to show at a field: what the browser sees at once (in plain words), else the validator's (which
 * says the same in its own words while the browser sees a problem, so it waits).
 */
export function fieldMessages(
  problems: readonly Problem[],
  path: Path,
  field?: FieldSpec,
  value?: unknown,
): string[] {
  const local = field ? checkValue(field, value) : undefined;
  return local ? [local] : problemsAt(problems, path).map(sentence);
}

/** A capability's docs as text and code parts (its `backquoted` words are code). */
export function docsParts(docs: string): { code: boolean; text: string }[] {
  return docs.split("`").map((text, i) => ({ code: i % 2 === 1, text }));
}

/** The capabilities of a kind, for a select: enabled ones, and the one in use even if it is not. */
export function capabilityOptions(
  capabilities: readonly schemas.Capability[],
  kind: "trigger" | "action",
  current: string,
): (readonly [string, string])[] {
  const list = capabilities
    .filter((c) => c.kind === kind && (c.enabled || c.uses === current))
    .map((c) => [c.uses, `${capabilityName(c.uses)}${c.enabled ? "" : " (disabled)"}`] as const);
  if (current && !list.some(([u]) => u === current)) list.unshift([current, `${current} (not installed)`]);
  if (!current) list.unshift(["", kind === "trigger" ? "Choose a trigger…" : "Choose an action…"]);
  return list;
}

/** `grant@1` → "Grant (grant@1)"; a third-party `acme/sms@2` → "Sms (acme/sms@2)". */
export function capabilityName(uses: string): string {
  const parsed = parseUses(uses);
  return parsed.ok ? `${labelOf(parsed.value.capability)} (${uses})` : uses;
}

/** A step id not used yet, from the capability's name: `grant`, `grant-2`, … */
export function freshId(draft: PipelineDraft, uses: string): string {
  const taken = new Set<string>();
  for (const list of ["triggers", "steps"]) {
    const items = valueAt(draft.source, ["spec", list]);
    if (Array.isArray(items)) for (const i of items) taken.add(String((i as { id?: unknown })?.id ?? ""));
  }
  const parsed = parseUses(uses);
  const base =
    (parsed.ok ? parsed.value.capability : "step").replace(/[^a-z0-9-]/g, "-").slice(0, 50) || "step";
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export { pointer };
