import {
  type CapabilityCatalog,
  type CelT,
  type JsonSchema,
  parseUses,
  STEP_RESULT_TYPE,
  TRIGGER_TYPE,
} from "@latchflow/spec";
import { isMap } from "yaml";
import {
  type CursorContext,
  cursorContext,
  describe,
  propertiesOf,
  requiredOf,
  schemaAt,
} from "./context.js";
import { items, parseText } from "./document.js";
import { type CompletionItem, CompletionItemKind, type Position, type Range } from "./types.js";

const md = (value: string) => ({ kind: "markdown" as const, value });

/** Completion at `position`: keys, `uses:` values, enum values, and CEL members inside `if:`. */
export function complete(text: string, position: Position, catalog: CapabilityCatalog): CompletionItem[] {
  const parsed = parseText(text);
  const offset = parsed.lines.offsetAt(position);
  const ctx = cursorContext(parsed.lines, offset);
  const replace = parsed.lines.range(ctx.prefixStart, offset);
  if (ctx.valueKey === undefined) return completeKeys(ctx, replace, parsed.doc, catalog);
  if (ctx.valueKey === "uses") return completeUses(ctx, parsed.lines.range(ctx.valueStart, offset), catalog);
  if (ctx.valueKey === "if" && ctx.path[1] === "steps") {
    return completeCel(ctx, offset, parsed.lines.range.bind(parsed.lines), parsed.doc);
  }
  return completeValues(ctx, replace, parsed.doc, catalog);
}

function completeKeys(
  ctx: CursorContext,
  replace: Range,
  doc: ReturnType<typeof parseText>["doc"],
  catalog: CapabilityCatalog,
): CompletionItem[] {
  const at = schemaAt(ctx.path, doc, catalog);
  if (!at) return [];
  const props = propertiesOf(at.schema, at.root);
  const required = requiredOf(at.schema, at.root);
  const container = doc.getIn(ctx.path, true);
  const present = new Set<string>();
  if (isMap(container))
    for (const p of container.items) present.add(String((p.key as { value?: unknown })?.value));
  return Object.entries(props)
    .filter(([name]) => !present.has(name) || name === ctx.prefix)
    .map(([name, schema]) => {
      const doc = describe(schema);
      const nested = isCollection(schema, at.root);
      return {
        label: name,
        kind: CompletionItemKind.Property,
        ...(required.has(name) ? { detail: "required" } : {}),
        ...(doc ? { documentation: md(doc) } : {}),
        // a nested value goes on the next lines, except inside a flow map (`{ retry: { ‸ } }`)
        textEdit: { range: replace, newText: nested && !ctx.flow ? `${name}:` : `${name}: ` },
        sortText: `${required.has(name) ? 0 : 1}${name}`,
      };
    });
}

function isCollection(schema: JsonSchema, root: JsonSchema): boolean {
  const props = propertiesOf(schema, root);
  return schema.type === "object" || schema.type === "array" || Object.keys(props).length > 0;
}

function completeUses(ctx: CursorContext, replace: Range, catalog: CapabilityCatalog): CompletionItem[] {
  const kind = ctx.path[1] === "triggers" ? "trigger" : ctx.path[1] === "steps" ? "action" : undefined;
  return Object.entries(catalog)
    .filter(([, cap]) => kind === undefined || cap.kind === kind)
    .map(([uses, cap]) => {
      const title = typeof cap.configSchema.title === "string" ? cap.configSchema.title : uses;
      return {
        label: uses,
        kind: cap.kind === "trigger" ? CompletionItemKind.Event : CompletionItemKind.Module,
        detail: `${cap.kind} ${title === uses ? "" : title}`.trim(),
        ...(cap.docs ? { documentation: md(cap.docs) } : {}),
        textEdit: { range: replace, newText: uses },
        sortText: parseUses(uses).ok ? uses : `~${uses}`,
      };
    });
}

/** Offered where a schema wants a duration (`format: "duration"`, see @latchflow/spec's parseDuration). */
const DURATIONS = ["30s", "1m", "5m", "10m", "1h", "6h", "1d", "7d", "30d", "90d"];

function completeValues(
  ctx: CursorContext,
  replace: Range,
  doc: ReturnType<typeof parseText>["doc"],
  catalog: CapabilityCatalog,
): CompletionItem[] {
  const at = schemaAt(ctx.path, doc, catalog);
  if (!at) return [];
  const s = at.schema;
  const values: unknown[] = [];
  if (Array.isArray(s.enum)) values.push(...s.enum);
  if (s.const !== undefined) values.push(s.const);
  if (s.type === "boolean") values.push(true, false);
  const examples = Array.isArray(s.examples) ? s.examples.filter((e) => typeof e !== "object") : [];
  if (s.format === "duration") examples.push(...DURATIONS.filter((d) => !examples.includes(d)));
  const description = describe(s);
  return [
    ...values.map((v) => ({ v, kind: CompletionItemKind.EnumMember, sort: 0 })),
    ...examples
      .filter((e) => !values.includes(e))
      .map((v) => ({ v, kind: CompletionItemKind.Value, sort: 1 })),
  ].map(({ v, kind, sort }) => ({
    label: String(v),
    kind,
    ...(description ? { documentation: md(description) } : {}),
    ...(v === s.default ? { detail: "default" } : sort ? { detail: "example" } : {}),
    textEdit: { range: replace, newText: String(v) },
    sortText: `${sort}${String(v)}`,
  }));
}

function fieldsOf(t: CelT): Record<string, CelT> {
  return t.kind === "object" ? { ...t.fields } : {};
}

const typeLabel = (t: CelT): string => (t.kind === "prim" ? t.name : t.kind === "object" ? t.name : t.kind);

const MEMBER_DOCS: Record<string, string> = {
  "trigger.id": "Id of the trigger that fired the run.",
  "trigger.uses": "`uses` of the trigger that fired the run, e.g. `cron@1`.",
  "trigger.kind": "Capability key of the trigger, e.g. `cron`.",
  "trigger.payload": "What the trigger carries (see the trigger capability's docs).",
  "trigger.firedAt": "When the trigger fired.",
  "step.outputs": "The step's outputs (see its capability's docs).",
  "step.outcome": "How the step ended: `succeeded`, `failed` or `skipped`.",
};

function completeCel(
  ctx: CursorContext,
  offset: number,
  range: (start: number, end: number) => Range,
  doc: ReturnType<typeof parseText>["doc"],
): CompletionItem[] {
  const expr = ctx.valueText.replace(/^["']/, "");
  const stepIndex = typeof ctx.path[2] === "number" ? ctx.path[2] : Number.POSITIVE_INFINITY;
  const steps = items(doc, "steps");
  const members = (t: CelT, owner: string, typed: string) =>
    Object.entries(fieldsOf(t)).map(([name, ft]) => ({
      label: name,
      kind: CompletionItemKind.Field,
      detail: typeLabel(ft),
      ...(MEMBER_DOCS[`${owner}.${name}`] ? { documentation: md(MEMBER_DOCS[`${owner}.${name}`]!) } : {}),
      textEdit: { range: range(offset - typed.length, offset), newText: name },
    }));
  let m = /(?:^|[^\w.])steps(?:\.([a-z0-9-]+)|\[["']([a-z0-9-]+)["']\])\.(\w*)$/.exec(expr);
  if (m) return members(STEP_RESULT_TYPE, "step", m[3]!);
  m = /(?:^|[^\w.])trigger\.(\w*)$/.exec(expr);
  if (m) return members(TRIGGER_TYPE, "trigger", m[1]!);
  m = /(?:^|[^\w.])steps\.([\w-]*)$/.exec(expr);
  if (m) {
    const typed = m[1]!;
    return steps
      .filter((s) => s.index < stepIndex && s.id)
      .map((s) => {
        const id = s.id!.value;
        const dashed = id.includes("-");
        return {
          label: id,
          kind: CompletionItemKind.Variable,
          ...(s.uses ? { detail: s.uses.value } : {}),
          // a dash is CEL's minus: such ids are written steps["my-id"]
          textEdit: dashed
            ? { range: range(offset - typed.length - 1, offset), newText: `["${id}"]` }
            : { range: range(offset - typed.length, offset), newText: id },
        };
      });
  }
  const word = /[A-Za-z_]\w*$/.exec(expr)?.[0] ?? "";
  return [
    {
      label: "trigger",
      detail: "trigger",
      documentation: md("What fired the run: `id`, `uses`, `kind`, `payload`, `firedAt`."),
    },
    {
      label: "steps",
      detail: "map(string, step)",
      documentation: md("Earlier steps' results by id: `steps.<id>.outputs`, `steps.<id>.outcome`."),
    },
  ].map((g) => ({
    ...g,
    kind: CompletionItemKind.Variable,
    textEdit: { range: range(offset - word.length, offset), newText: g.label },
  }));
}
