import type { ActionInput, Json } from "@latchflow/plugin-sdk";

/**
 * `{{ path }}` templates of the action plugins (email@1, grant@1, http@1). Paths: `trigger.id|uses|kind|
 * firedAt`, `trigger.payload.*`, `steps.<id>.outcome`, `steps.<id>.outputs.*`, `run.id`, `pipeline.name`
 * (array elements by index: `trigger.payload.items.0`). Substitution is always escaped for its target and
 * there is no raw form; a path naming a missing value throws (the step fails instead of sending a blank).
 */

/** How a substituted value is escaped. */
export type TemplateTarget = "text" | "html" | "subject";

/** The values templates may read, built from the action's input. */
export type TemplateContext = { readonly [root: string]: Json };

const TAG = /\{\{\s*([^{}]*?)\s*\}\}/g;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const LINE_BREAKS = /\r\n|[\r\n\v\f\u0085\u2028\u2029]/g;
const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Thrown for a template naming a missing value or an unknown path. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "TemplateError";
  }
}

/** The template context of an action invocation (only what templates may read: no idempotency keys). */
export function templateContext(input: ActionInput): TemplateContext {
  const steps: { [id: string]: Json } = {};
  for (const [id, step] of Object.entries(input.steps)) {
    steps[id] = { outcome: step.outcome, outputs: step.outputs };
  }
  const t = input.trigger;
  return {
    trigger: { id: t.id, uses: t.uses, kind: t.kind, firedAt: t.firedAt, payload: t.payload },
    steps,
    run: { id: input.run.id },
    pipeline: { name: input.pipeline.name },
  };
}

/** Renders `template`, escaping each value for `target`; `subject` output never contains a line break. */
export function renderTemplate(template: string, context: TemplateContext, target: TemplateTarget): string {
  const out = template.replace(TAG, (_tag, path: string) => escapeFor(toText(lookup(context, path)), target));
  return target === "subject" ? out.replace(LINE_BREAKS, " ") : out;
}

/** Renders every string inside a JSON value as a `text` template (http@1 bodies). */
export function renderJson(value: Json, context: TemplateContext): Json {
  if (typeof value === "string") return renderTemplate(value, context, "text");
  if (Array.isArray(value)) return value.map((v) => renderJson(v, context));
  if (value !== null && typeof value === "object") {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderJson(v, context);
    return out;
  }
  return value;
}

function lookup(context: TemplateContext, path: string): Json {
  const segments = path.split(".");
  if (path === "" || !segments.every((s) => SEGMENT.test(s))) {
    throw new TemplateError(`template path "{{ ${path} }}" is not a dotted path`, path);
  }
  if (!allowedPath(segments)) {
    throw new TemplateError(
      `template path "${path}" is not available (use trigger.*, steps.<id>.outputs.*, steps.<id>.outcome, run.id or pipeline.name)`,
      path,
    );
  }
  let current: Json | undefined = context[segments[0]!];
  for (const segment of segments.slice(1)) {
    current = child(current, segment);
    if (current === undefined) break;
  }
  if (current === undefined) throw new TemplateError(`template value "${path}" is missing`, path);
  return current;
}

function allowedPath(s: readonly string[]): boolean {
  switch (s[0]) {
    case "trigger":
      return s.length === 2
        ? ["id", "uses", "kind", "firedAt", "payload"].includes(s[1]!)
        : s[1] === "payload";
    case "steps":
      return (s.length === 3 && s[2] === "outcome") || (s.length >= 3 && s[2] === "outputs");
    case "run":
      return s.length === 2 && s[1] === "id";
    case "pipeline":
      return s.length === 2 && s[1] === "name";
    default:
      return false;
  }
}

function child(value: Json | undefined, key: string): Json | undefined {
  if (Array.isArray(value)) return /^(?:0|[1-9]\d*)$/.test(key) ? value[Number(key)] : undefined;
  if (value !== null && typeof value === "object" && Object.hasOwn(value, key)) return value[key];
  return undefined;
}

function toText(value: Json): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function escapeFor(text: string, target: TemplateTarget): string {
  if (target === "html") return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
  if (target === "subject") return text.replace(LINE_BREAKS, " ");
  return text;
}
