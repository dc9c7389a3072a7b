import { LABEL_PATTERN } from "@latchflow/spec";
import { isPair, isSeq, type Scalar, visit } from "yaml";
import { type Item, items, type ParsedText, parseText } from "./document.js";
import type { Position, Range, TextEdit } from "./types.js";

/** One place a step id is written: its `id:` value, or a `steps.<id>` / `steps["<id>"]` in `if:` or a template. */
export interface StepIdOccurrence {
  id: string;
  /** Offsets of the id itself (without `steps.` or quotes). */
  start: number;
  end: number;
  definition: boolean;
}

const REFERENCE = /\bsteps(?:\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?![\w-])|\[(["'])([a-z0-9-]+)\2\])/g;

/** Every step id written in the document: definitions (`id:` of steps) and references in string values under steps. */
export function stepIdOccurrences(parsed: ParsedText): StepIdOccurrence[] {
  const out: StepIdOccurrence[] = [];
  const steps = items(parsed.doc, "steps");
  for (const s of steps) {
    if (s.id?.range)
      out.push({
        id: s.id.value,
        start: valueStart(parsed, s.id),
        end: valueStart(parsed, s.id) + s.id.value.length,
        definition: true,
      });
  }
  const seq = parsed.doc.getIn(["spec", "steps"], true);
  if (!isSeq(seq)) return out;
  visit(seq, {
    Scalar(_key, node, path) {
      const parent = path.at(-1);
      if (isPair(parent) && parent.key === node) return;
      if (typeof node.value !== "string" || !node.range) return;
      const raw = parsed.text.slice(node.range[0], node.range[1]);
      for (const m of raw.matchAll(REFERENCE)) {
        const id = m[1] ?? m[3]!;
        const start = node.range[0] + m.index + m[0].indexOf(id, 5);
        out.push({ id, start, end: start + id.length, definition: false });
      }
    },
  });
  return out;
}

/** Offset where a plain or quoted scalar's value starts. */
function valueStart(parsed: ParsedText, node: Scalar): number {
  const start = node.range![0];
  const c = parsed.text[start];
  return c === '"' || c === "'" ? start + 1 : start;
}

function occurrenceAt(parsed: ParsedText, position: Position): StepIdOccurrence | undefined {
  const offset = parsed.lines.offsetAt(position);
  return stepIdOccurrences(parsed).find((o) => o.start <= offset && offset <= o.end);
}

/** Go to definition: from a `steps.<id>` reference (or the id itself) to the step's `id:` value. */
export function definition(text: string, position: Position): Range | undefined {
  const parsed = parseText(text);
  const at = occurrenceAt(parsed, position);
  if (!at) return undefined;
  const def = stepIdOccurrences(parsed).find((o) => o.definition && o.id === at.id);
  return def ? parsed.lines.range(def.start, def.end) : undefined;
}

/** Every occurrence of the step id under the cursor (definition first). */
export function references(text: string, position: Position): Range[] {
  const parsed = parseText(text);
  const at = occurrenceAt(parsed, position);
  if (!at) return [];
  return stepIdOccurrences(parsed)
    .filter((o) => o.id === at.id)
    .sort((a, b) => Number(b.definition) - Number(a.definition) || a.start - b.start)
    .map((o) => parsed.lines.range(o.start, o.end));
}

/** Range of the step id under the cursor, when it can be renamed there. */
export function prepareRename(
  text: string,
  position: Position,
): { range: Range; placeholder: string } | undefined {
  const parsed = parseText(text);
  const at = occurrenceAt(parsed, position);
  if (!at) return undefined;
  if (!stepIdOccurrences(parsed).some((o) => o.definition && o.id === at.id)) return undefined;
  return { range: parsed.lines.range(at.start, at.end), placeholder: at.id };
}

const LABEL = new RegExp(LABEL_PATTERN);

/** Outcome of {@link rename}. */
export type RenameResult = { ok: true; edits: TextEdit[] } | { ok: false; message: string };

/**
 * Renames the step id under the cursor everywhere: its `id:` and every `steps.<id>` in conditions and
 * templates. A new id that is not a lowercase DNS label, or already taken by a trigger or step, is refused. A
 * dashed new id in `steps.<id>` form becomes `steps["<id>"]` (a dash is CEL's minus).
 */
export function rename(text: string, position: Position, newId: string): RenameResult {
  const parsed = parseText(text);
  const at = occurrenceAt(parsed, position);
  if (!at) return { ok: false, message: "No step id here." };
  if (!LABEL.test(newId))
    return { ok: false, message: `'${newId}' is not a valid id (a lowercase DNS label).` };
  if (newId !== at.id && items(parsed.doc).some((i: Item) => i.id?.value === newId)) {
    return { ok: false, message: `id '${newId}' is already used.` };
  }
  const edits = stepIdOccurrences(parsed)
    .filter((o) => o.id === at.id)
    .map((o) => {
      const dotted = !o.definition && parsed.text[o.start - 1] === ".";
      if (dotted && newId.includes("-")) {
        return { range: parsed.lines.range(o.start - 1, o.end), newText: `["${newId}"]` };
      }
      return { range: parsed.lines.range(o.start, o.end), newText: newId };
    });
  return { ok: true, edits };
}
