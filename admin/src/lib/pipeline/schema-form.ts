// A capability's `with:` as a form: each property of its config JSON Schema becomes a field of a kind the builder
// knows how to show, with the checks a browser can make at once (the full validation is the server's).
import { type JsonSchema, parseDuration, type ReferenceKind, referenceKind } from "@latchflow/spec/browser";

export type FieldKind =
  | "text"
  | "multiline"
  | "number"
  | "integer"
  | "boolean"
  | "choice"
  | "duration"
  | "email"
  | "datetime"
  | "reference"
  | "list"
  | "object"
  | "raw";

/** One field of a generated form. */
export interface FieldSpec {
  key: string;
  /** the key in words: `checkInEvery` → "Check in every" */
  label: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  /** for `choice`: the allowed values */
  options?: readonly (string | number | boolean)[];
  /** for `reference`: what it names */
  reference?: ReferenceKind;
  default?: unknown;
  example?: string;
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  /** for `list`: its items (a field without a key) */
  items?: FieldSpec;
  minItems?: number;
  maxItems?: number;
  unique?: boolean;
  /** for `object`: its fields */
  fields?: FieldSpec[];
}

type Schema = JsonSchema & {
  type?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: unknown;
  items?: JsonSchema;
};

/** Strings at least this long get a text area. */
const MULTILINE_FROM = 1000;
const ACRONYMS = new Set(["html", "url", "id", "cc", "http", "json", "ip"]);

/** `checkInEvery` → "Check in every", `html` → "HTML". */
export function labelOf(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .split(/\s+/)
    .map((w) => (ACRONYMS.has(w.toLowerCase()) ? w.toUpperCase() : w.toLowerCase()));
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Follows a local `$ref` (`#/$defs/…`) of the root schema. */
function deref(schema: JsonSchema | undefined, root: JsonSchema): Schema {
  let s = (schema ?? {}) as Schema;
  for (let i = 0; i < 10 && typeof s.$ref === "string"; i++) {
    const ref = s.$ref as string;
    if (!ref.startsWith("#/")) return {};
    let target: unknown = root;
    for (const part of ref.slice(2).split("/"))
      target = (target as Record<string, unknown> | undefined)?.[part];
    s = (target ?? {}) as Schema;
  }
  return s;
}

const typeOf = (s: Schema): string | undefined =>
  typeof s.type === "string"
    ? s.type
    : Array.isArray(s.type)
      ? (s.type.find((t) => t !== "null") as string | undefined)
      : undefined;

function exampleOf(s: Schema): string | undefined {
  const ex = Array.isArray(s.examples) ? s.examples[0] : undefined;
  if (ex === undefined) return undefined;
  return typeof ex === "string" ? ex : JSON.stringify(ex);
}

/** The field for one property. */
export function fieldOf(
  key: string,
  schema: JsonSchema,
  required: boolean,
  root: JsonSchema = schema,
): FieldSpec {
  const s = deref(schema, root);
  const base: FieldSpec = {
    key,
    label: labelOf(key),
    kind: "raw",
    required,
    ...(typeof s.description === "string" ? { description: s.description } : {}),
    ...(s.default !== undefined ? { default: s.default } : {}),
    ...(exampleOf(s) !== undefined ? { example: exampleOf(s) } : {}),
  };
  const reference = referenceKind(s);
  const type = typeOf(s);
  if (Array.isArray(s.enum) && s.enum.every((v) => ["string", "number", "boolean"].includes(typeof v))) {
    return { ...base, kind: "choice", options: s.enum as (string | number | boolean)[] };
  }
  if (type === "string") {
    const kind: FieldKind = reference
      ? "reference"
      : s.format === "duration"
        ? "duration"
        : s.format === "email"
          ? "email"
          : s.format === "date-time"
            ? "datetime"
            : typeof s.maxLength === "number" && s.maxLength >= MULTILINE_FROM
              ? "multiline"
              : "text";
    return {
      ...base,
      kind,
      ...(reference ? { reference } : {}),
      ...(typeof s.minLength === "number" ? { minLength: s.minLength } : {}),
      ...(typeof s.maxLength === "number" ? { maxLength: s.maxLength } : {}),
      ...(typeof s.pattern === "string" ? { pattern: s.pattern } : {}),
    };
  }
  if (type === "integer" || type === "number") {
    return {
      ...base,
      kind: type,
      ...(typeof s.minimum === "number" ? { min: s.minimum } : {}),
      ...(typeof s.maximum === "number" ? { max: s.maximum } : {}),
    };
  }
  if (type === "boolean") return { ...base, kind: "boolean" };
  if (type === "array") {
    const items = fieldOf("", s.items ?? {}, true, root);
    // lists of what the form can show one by one; anything else is edited as YAML
    if (items.kind === "raw" || items.kind === "list") return base;
    return {
      ...base,
      kind: "list",
      items,
      ...(typeof s.minItems === "number" ? { minItems: s.minItems } : {}),
      ...(typeof s.maxItems === "number" ? { maxItems: s.maxItems } : {}),
      ...(s.uniqueItems === true ? { unique: true } : {}),
    };
  }
  if (type === "object" && s.properties && Object.keys(s.properties).length > 0) {
    return { ...base, kind: "object", fields: fieldsOf(s, root) };
  }
  // free objects (headers, a JSON Schema), any JSON value, unions: YAML text
  return base;
}

/** The fields of an object schema, in the schema's order. */
export function fieldsOf(schema: JsonSchema, root: JsonSchema = schema): FieldSpec[] {
  const s = deref(schema, root);
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  return Object.entries(s.properties ?? {}).map(([key, sub]) => fieldOf(key, sub, required.has(key), root));
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** What is wrong with a value of a field, as far as a browser can tell at once; `undefined` when nothing. */
export function checkValue(field: FieldSpec, value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") {
    return field.required ? "Required." : undefined;
  }
  switch (field.kind) {
    case "text":
    case "multiline":
    case "reference":
      if (typeof value !== "string") return "Must be text.";
      if (field.minLength !== undefined && value.length < field.minLength)
        return `At least ${field.minLength} characters.`;
      if (field.maxLength !== undefined && value.length > field.maxLength)
        return `At most ${field.maxLength} characters.`;
      if (field.pattern && !safeTest(field.pattern, value)) return "Not in the expected form.";
      return undefined;
    case "duration": {
      if (typeof value !== "string") return "Must be a duration such as 30d or 1h30m.";
      const parsed = parseDuration(value);
      if (!parsed.ok) return "Not a duration: write e.g. 30d, 1h30m, 90s or PT15M.";
      return field.pattern && !safeTest(field.pattern, value)
        ? "This duration is not allowed here."
        : undefined;
    }
    case "email":
      return typeof value === "string" && EMAIL.test(value) ? undefined : "Not an email address.";
    case "datetime":
      return typeof value === "string" && DATE_TIME.test(value)
        ? undefined
        : "Write a date and time with its offset, e.g. 2030-01-01T09:00:00Z.";
    case "integer":
    case "number":
      if (typeof value !== "number" || (field.kind === "integer" && !Number.isInteger(value)))
        return field.kind === "integer" ? "Must be a whole number." : "Must be a number.";
      if (field.min !== undefined && value < field.min) return `At least ${field.min}.`;
      if (field.max !== undefined && value > field.max) return `At most ${field.max}.`;
      return undefined;
    case "boolean":
      return typeof value === "boolean" ? undefined : "Must be yes or no.";
    case "choice":
      return field.options?.includes(value as string) ? undefined : `One of: ${field.options?.join(", ")}.`;
    case "list": {
      if (!Array.isArray(value)) return "Must be a list.";
      if (field.minItems !== undefined && value.length < field.minItems)
        return field.minItems === 1 ? "Add at least one." : `Add at least ${field.minItems}.`;
      if (field.maxItems !== undefined && value.length > field.maxItems) return `At most ${field.maxItems}.`;
      if (field.unique && new Set(value.map((v) => JSON.stringify(v))).size !== value.length)
        return "Each entry only once.";
      return undefined;
    }
    default:
      return undefined;
  }
}

function safeTest(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, "u").test(value);
  } catch {
    return true;
  }
}

/** A duration in words for the hint under a duration field: `1h30m` → "1 hour 30 minutes". */
export function durationInWords(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const parsed = parseDuration(value);
  if (!parsed.ok) return undefined;
  let ms = parsed.ms;
  if (ms === 0) return "no time";
  const units: [number, string][] = [
    [604_800_000, "week"],
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
    [1_000, "second"],
    [1, "millisecond"],
  ];
  const parts: string[] = [];
  for (const [size, name] of units) {
    const n = Math.floor(ms / size);
    if (n > 0) {
      parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
      ms -= n * size;
    }
  }
  return parts.join(" ");
}
