import type { CapabilityCatalog, JsonSchema } from "@latchflow/spec";
import { isCollection, isMap, isScalar, type Node, visit } from "yaml";
import { describe, schemaAt } from "./context.js";
import { items, type ParsedText, parseText, scalarAt } from "./document.js";
import { stepIdOccurrences } from "./navigation.js";
import {
  type DocumentSymbol,
  type FoldingRange,
  type Hover,
  type Position,
  type Range,
  SymbolKind,
  type TextEdit,
} from "./types.js";

/** End offset of a node's value without trailing whitespace (yaml's ranges may run into the next line). */
function contentEnd(parsed: ParsedText, node: Node): number {
  let end = node.range![1];
  while (end > node.range![0] && /\s/.test(parsed.text[end - 1]!)) end--;
  return end;
}

/** The outline: `triggers` and `steps`, each item named by its id with its `uses` as detail. */
export function documentSymbols(text: string): DocumentSymbol[] {
  const parsed = parseText(text);
  const out: DocumentSymbol[] = [];
  const spec = parsed.doc.get("spec", true);
  if (!isMap(spec)) return out;
  for (const section of ["triggers", "steps"] as const) {
    const pair = spec.items.find((p) => isScalar(p.key) && p.key.value === section);
    if (!pair || !isScalar(pair.key) || !pair.key.range) continue;
    const key = pair.key;
    const value = pair.value as Node | null;
    const end = value?.range ? contentEnd(parsed, value) : key.range![1];
    const children = items(parsed.doc, section).map((item): DocumentSymbol => {
      const name = item.id?.value ?? `(${section === "triggers" ? "trigger" : "step"} ${item.index + 1})`;
      const sel = item.id?.range ?? item.node.range!;
      return {
        name,
        ...(item.uses ? { detail: item.uses.value } : {}),
        kind: section === "triggers" ? SymbolKind.Event : SymbolKind.Function,
        range: parsed.lines.range(item.node.range![0], contentEnd(parsed, item.node)),
        selectionRange: parsed.lines.range(sel[0], sel[1]),
      };
    });
    out.push({
      name: section,
      kind: SymbolKind.Array,
      range: parsed.lines.range(key.range![0], end),
      selectionRange: parsed.lines.range(key.range![0], key.range![1]),
      children,
    });
  }
  return out;
}

/** Folding ranges: every map entry or sequence item whose value spans lines, and runs of comment lines. */
export function foldingRanges(text: string): FoldingRange[] {
  const parsed = parseText(text);
  const out: FoldingRange[] = [];
  const add = (start: number, node: Node | null | undefined): void => {
    if (!node?.range || !isCollection(node)) return;
    const startLine = parsed.lines.positionAt(start).line;
    const endLine = parsed.lines.positionAt(contentEnd(parsed, node)).line;
    if (endLine > startLine) out.push({ startLine, endLine });
  };
  visit(parsed.doc, {
    Pair(_k, pair) {
      if (isScalar(pair.key) && pair.key.range) add(pair.key.range[0], pair.value as Node | null);
    },
    Seq(_k, seq) {
      for (const item of seq.items) if (isCollection(item) && item.range) add(item.range[0], item);
    },
  });
  let runStart = -1;
  for (let l = 0; l <= parsed.lines.lineCount; l++) {
    const isComment = l < parsed.lines.lineCount && /^\s*#/.test(parsed.lines.line(l));
    if (isComment && runStart < 0) runStart = l;
    if (!isComment && runStart >= 0) {
      if (l - 1 > runStart) out.push({ startLine: runStart, endLine: l - 1, kind: "comment" });
      runStart = -1;
    }
  }
  return out.sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
}

const md = (value: string) => ({ kind: "markdown" as const, value });

/**
 * Hover: a capability's docs on a `uses:` value, the schema's description of a key (configuration keys from
 * the capability's config schema), and the step a `steps.<id>` reference names.
 */
export function hover(text: string, position: Position, catalog: CapabilityCatalog): Hover | undefined {
  const parsed = parseText(text);
  const offset = parsed.lines.offsetAt(position);
  const ref = stepIdOccurrences(parsed).find((o) => !o.definition && o.start <= offset && offset <= o.end);
  if (ref) {
    const step = items(parsed.doc, "steps").find((s) => s.id?.value === ref.id);
    const value = step
      ? `**step \`${ref.id}\`**${step.uses ? ` — \`${step.uses.value}\`` : ""} (line ${parsed.lines.positionAt(step.node.range![0]).line + 1})\n\n\`steps.${ref.id}.outputs\`, \`steps.${ref.id}.outcome\``
      : `No step \`${ref.id}\` in this pipeline.`;
    return { contents: md(value), range: parsed.lines.range(ref.start, ref.end) };
  }
  const at = scalarAt(parsed.doc, offset);
  if (!at?.node.range) return undefined;
  const range: Range = parsed.lines.range(at.node.range[0], at.node.range[1]);
  const key = at.path.at(-1);
  if (!at.key && key === "uses" && typeof at.node.value === "string") {
    const cap = Object.hasOwn(catalog, at.node.value) ? catalog[at.node.value] : undefined;
    if (!cap) return { contents: md(`\`${at.node.value}\` is not an installed capability.`), range };
    const props = Object.keys((cap.configSchema.properties as Record<string, unknown> | undefined) ?? {});
    const lines = [
      `**${at.node.value}** (${cap.kind})`,
      cap.docs ?? "",
      props.length ? `\`with:\` ${props.map((p) => `\`${p}\``).join(", ")}` : "",
    ];
    return { contents: md(lines.filter(Boolean).join("\n\n")), range };
  }
  const schema: JsonSchema | undefined = schemaAt(at.path, parsed.doc, catalog)?.schema;
  const description = describe(schema);
  if (!description) return undefined;
  const type =
    typeof schema?.type === "string"
      ? ` (${schema.type})`
      : Array.isArray(schema?.enum)
        ? ` (${schema.enum.join(" | ")})`
        : "";
  return { contents: md(`**${String(key)}**${type}\n\n${description}`), range };
}

/** Formatting options (LSP's). */
export interface FormatOptions {
  tabSize: number;
}

/**
 * Reformats the document with `yaml`'s document model, which keeps comments (and blank lines between
 * entries): consistent indentation, sequences indented under their key. A document with syntax errors is left
 * as it is. Returns one edit over the whole text, or none when nothing changes.
 */
export function format(text: string, options: FormatOptions): TextEdit[] {
  const parsed = parseText(text);
  if (parsed.doc.errors.length) return [];
  const formatted = parsed.doc.toString({
    indent: Math.max(1, options.tabSize),
    lineWidth: 0,
    indentSeq: true,
  });
  if (formatted === text) return [];
  return [{ range: parsed.lines.range(0, text.length), newText: formatted }];
}
