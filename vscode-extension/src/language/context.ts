import { type CapabilityCatalog, type JsonSchema, pipelineSchema } from "@latchflow/spec";
import type { Document } from "yaml";
import { items } from "./document.js";
import type { LineIndex } from "./text.js";

/** A document path: map keys and sequence indexes (as in @latchflow/spec's JSON Pointers). */
export type Path = (string | number)[];

/** Where the cursor is, worked out from indentation (so it works on a half-typed line the parser rejects). */
export interface CursorContext {
  /** Path of the map the cursor's key belongs to (key context) or of the value being typed (value context). */
  path: Path;
  /** Value context: the key whose value is being typed on this line (`uses` in `uses: em‸`). */
  valueKey?: string;
  /** Value context: the value text before the cursor, and where it starts (offset). */
  valueText: string;
  valueStart: number;
  /** The word before the cursor, and where it starts (offset); what a completion replaces. */
  prefix: string;
  prefixStart: number;
  /** Inside a flow map written on the cursor's line (`with: { to: ‸ }`): keys are completed as `key: `. */
  flow?: boolean;
}

interface Frame {
  kind: "seq" | "key";
  indent: number;
  key?: string;
  /** Key frames: the text after `key:` (trimmed), empty when the value is on the following lines. */
  rest?: string;
  /** Key frames: offset in the line where the value starts. */
  valueColumn?: number;
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#"'{[\-?:][^#:]*?|-[^\s#:][^#:]*?)[ \t]*:(?=[ \t]|$)/;

/** The sequence dashes and the key starting a line (`  - id: a` → seq@2, key id@4). */
function framesOf(line: string): Frame[] {
  const frames: Frame[] = [];
  let i = 0;
  while (line[i] === " ") i++;
  if (line[i] === "#" || i === line.length) return frames;
  while (line[i] === "-" && (line[i + 1] === " " || line[i + 1] === undefined || line[i + 1] === "\t")) {
    frames.push({ kind: "seq", indent: i });
    i++;
    while (line[i] === " ") i++;
  }
  const m = KEY.exec(line.slice(i));
  if (m) {
    const raw = m[1]!.trim();
    const key = /^["']/.test(raw) ? raw.slice(1, -1) : raw;
    let v = i + m[0].length;
    while (line[v] === " " || line[v] === "\t") v++;
    const rest = line
      .slice(v)
      .replace(/(^|\s)#.*$/, "")
      .trim();
    frames.push({ kind: "key", indent: i, key, rest, valueColumn: v });
  }
  return frames;
}

/**
 * The container path of something starting at column `column` on line `lineNo`, given the frames of that line
 * before it (`own`), found by walking up the lines above by indentation.
 */
function containerPath(lines: LineIndex, lineNo: number, column: number, own: Frame[]): Path {
  const path: (string | { index: number })[] = [];
  let limit = column;
  let seq: { indent: number; slot: { index: number } } | undefined;
  const take = (fr: Frame): void => {
    if (seq && fr.kind === "seq" && fr.indent === seq.indent) {
      seq.slot.index++;
      return;
    }
    const parentOfSeq = seq !== undefined && fr.kind === "key" && fr.indent === limit && !fr.rest;
    if (fr.indent >= limit && !parentOfSeq) return;
    if (fr.kind === "seq") {
      const slot = { index: 0 };
      path.unshift(slot);
      seq = { indent: fr.indent, slot };
    } else {
      path.unshift(fr.key ?? "");
      seq = undefined;
    }
    limit = fr.indent;
  };
  for (let f = own.length - 1; f >= 0; f--) take(own[f]!);
  for (let l = lineNo - 1; l >= 0 && (limit > 0 || seq); l--) {
    const frames = framesOf(lines.line(l));
    for (let f = frames.length - 1; f >= 0; f--) take(frames[f]!);
  }
  return path.map((p) => (typeof p === "string" ? p : p.index));
}

/** Where the cursor is inside a flow map (`{ a: 1, b: ‸`) that starts a value, from the text before it. */
type FlowPlace =
  /** typing a key of the map at `path` (relative to the flow's start) */
  | { path: string[]; valueKey?: undefined }
  /** typing the value of `valueKey` (in the map at `path`), which starts at `valueStart` in the text */
  | { path: string[]; valueKey: string; valueStart: number };

interface FlowFrame {
  type: "{" | "[";
  /** where the collection starts in the text */
  start: number;
  /** maps: typing a key, or the value of `key` (which starts at `valueStart`) */
  state: "key" | "value";
  keyStart: number;
  key?: string;
  valueStart: number;
}

const unquote = (raw: string) => (/^(["']).*\1$/s.test(raw) ? raw.slice(1, -1) : raw);

/**
 * Reads `text` (a value starting with `{`, up to the cursor) as YAML flow collections: the maps it is inside
 * and whether a key or a value is being typed. A flow sequence inside stays part of its key's value text (as
 * block `key: [a, ‸` does). Undefined when the cursor is not inside the flow map (after its `}`, in a comment).
 */
function flowPlace(text: string): FlowPlace | undefined {
  const stack: FlowFrame[] = [];
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = undefined;
      }
      continue;
    }
    const top = stack.at(-1);
    if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) return undefined;
    else if (c === "{" || c === "[") {
      stack.push({ type: c, start: i, state: "key", keyStart: i + 1, valueStart: i + 1 });
    } else if (c === "}" || c === "]") {
      stack.pop();
      if (stack.length === 0) return undefined;
    } else if (c === "," && top?.type === "{") {
      top.state = "key";
      top.key = undefined;
      top.keyStart = i + 1;
    } else if (c === ":" && top?.type === "{" && top.state === "key" && /^[\s,}]?$/.test(text[i + 1] ?? "")) {
      top.key = unquote(text.slice(top.keyStart, i).trim());
      top.state = "value";
      let v = i + 1;
      while (text[v] === " " || text[v] === "\t") v++;
      top.valueStart = v;
    }
  }
  if (stack[0]?.type !== "{") return undefined;
  const path: string[] = [];
  for (let k = 0; k < stack.length; k++) {
    const f = stack[k]!;
    const next = stack[k + 1];
    if (f.type === "[") return undefined;
    if (f.state === "key") return next ? undefined : { path };
    if (!next || next.type === "[")
      return { path, valueKey: f.key ?? "", valueStart: next?.start ?? f.valueStart };
    path.push(f.key ?? "");
  }
  return undefined;
}

/** The context inside a flow map that starts at `flowStart` (offset), the map itself being at `base`. */
function flowContext(
  lines: LineIndex,
  base: Path,
  flowStart: number,
  offset: number,
  word: string,
  prefixStart: number,
): CursorContext | undefined {
  const text = lines.text.slice(flowStart, offset);
  const place = flowPlace(text);
  if (!place) return undefined;
  if (place.valueKey === undefined) {
    return {
      path: [...base, ...place.path],
      valueText: "",
      valueStart: offset,
      prefix: word,
      prefixStart,
      flow: true,
    };
  }
  return {
    path: [...base, ...place.path, place.valueKey],
    valueKey: place.valueKey,
    valueText: text.slice(place.valueStart),
    valueStart: flowStart + place.valueStart,
    prefix: word,
    prefixStart,
    flow: true,
  };
}

/** The cursor's {@link CursorContext} at `offset`. */
export function cursorContext(lines: LineIndex, offset: number): CursorContext {
  const pos = lines.positionAt(offset);
  const lineStart = offset - pos.character;
  const before = lines.line(pos.line).slice(0, pos.character);
  const frames = framesOf(before);
  const last = frames.at(-1);
  const word = /[\w$@./-]*$/.exec(before)![0];
  const prefixStart = offset - word.length;
  if (last?.kind === "key" && last.valueColumn !== undefined && pos.character >= last.valueColumn) {
    const path = containerPath(lines, pos.line, last.indent, frames.slice(0, -1));
    if (before[last.valueColumn] === "{") {
      const inFlow = flowContext(
        lines,
        [...path, last.key ?? ""],
        lineStart + last.valueColumn,
        offset,
        word,
        prefixStart,
      );
      if (inFlow) return inFlow;
    }
    return {
      path: [...path, last.key ?? ""],
      valueKey: last.key ?? "",
      valueText: before.slice(last.valueColumn),
      valueStart: lineStart + last.valueColumn,
      prefix: word,
      prefixStart,
    };
  }
  const seqFrames = frames.filter((f) => f.kind === "seq");
  // a flow map as a sequence item: `- { id: a, uses: ‸ }`
  const afterDashes = /^[ \t]*(?:-[ \t]+)+/.exec(before)?.[0].length;
  if (afterDashes !== undefined && before[afterDashes] === "{" && !last?.key) {
    const path = containerPath(lines, pos.line, afterDashes, seqFrames);
    const inFlow = flowContext(lines, path, lineStart + afterDashes, offset, word, prefixStart);
    if (inFlow) return inFlow;
  }
  const column = pos.character - word.length;
  return {
    path: containerPath(lines, pos.line, column, seqFrames),
    valueText: "",
    valueStart: offset,
    prefix: word,
    prefixStart,
  };
}

/** The schema a path leads to, with the root its `$ref`s resolve against. */
export interface SchemaAt {
  schema: JsonSchema;
  root: JsonSchema;
}

function resolveRef(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let s = schema;
  for (let hops = 0; typeof s.$ref === "string" && s.$ref.startsWith("#") && hops < 16; hops++) {
    let target: unknown = root;
    for (const part of s.$ref.slice(2).split("/").filter(Boolean)) {
      target = (target as Record<string, unknown> | undefined)?.[
        part.replaceAll("~1", "/").replaceAll("~0", "~")
      ];
    }
    if (!target || typeof target !== "object") break;
    const { $ref: _ref, ...rest } = s;
    s = { ...(target as JsonSchema), ...rest };
  }
  return s;
}

/** The schema's own and its allOf/anyOf/oneOf branches' properties, merged. */
export function propertiesOf(schema: JsonSchema, root: JsonSchema): Record<string, JsonSchema> {
  const s = resolveRef(schema, root);
  const props: Record<string, JsonSchema> = {};
  for (const branch of ["allOf", "anyOf", "oneOf"] as const) {
    const list = s[branch];
    if (Array.isArray(list)) for (const b of list) Object.assign(props, propertiesOf(b as JsonSchema, root));
  }
  if (s.properties && typeof s.properties === "object") {
    for (const [k, v] of Object.entries(s.properties as Record<string, JsonSchema>))
      props[k] = resolveRef(v, root);
  }
  return props;
}

/** Names listed in `required` (own and allOf's). */
export function requiredOf(schema: JsonSchema, root: JsonSchema): Set<string> {
  const s = resolveRef(schema, root);
  const out = new Set<string>(Array.isArray(s.required) ? (s.required as string[]) : []);
  if (Array.isArray(s.allOf))
    for (const b of s.allOf) for (const r of requiredOf(b as JsonSchema, root)) out.add(r);
  return out;
}

function step(schema: JsonSchema, root: JsonSchema, seg: string | number): JsonSchema | undefined {
  const s = resolveRef(schema, root);
  if (typeof seg === "number") {
    return s.items && typeof s.items === "object" ? resolveRef(s.items as JsonSchema, root) : undefined;
  }
  const prop = propertiesOf(s, root)[seg];
  if (prop) return prop;
  if (s.additionalProperties && typeof s.additionalProperties === "object") {
    return resolveRef(s.additionalProperties as JsonSchema, root);
  }
  return undefined;
}

/** `uses` written on the trigger/step at `spec.<section>[index]`, if any. */
export function usesOf(doc: Document.Parsed, section: string, index: number): string | undefined {
  return items(doc).find((i) => i.section === section && i.index === index)?.uses?.value;
}

/**
 * The JSON Schema at `path`: the pipeline schema, and below a trigger's or step's `with:` the config schema of
 * the capability its `uses` names (by major) in `catalog`.
 */
export function schemaAt(path: Path, doc: Document.Parsed, catalog: CapabilityCatalog): SchemaAt | undefined {
  const [a, section, index, w, ...rest] = path;
  if (
    a === "spec" &&
    (section === "triggers" || section === "steps") &&
    typeof index === "number" &&
    w === "with"
  ) {
    const uses = usesOf(doc, section, index);
    const cap = uses !== undefined && Object.hasOwn(catalog, uses) ? catalog[uses] : undefined;
    if (!cap) return undefined;
    const root = cap.configSchema;
    let schema: JsonSchema | undefined = root;
    for (const seg of rest) {
      schema = step(schema, root, seg);
      if (!schema) return undefined;
    }
    return { schema: resolveRef(schema, root), root };
  }
  const root = pipelineSchema;
  let schema: JsonSchema | undefined = root;
  for (const seg of path) {
    schema = step(schema, root, seg);
    if (!schema) return undefined;
  }
  return { schema: resolveRef(schema, root), root };
}

/** The description of a schema, if it has one. */
export function describe(schema: JsonSchema | undefined): string | undefined {
  return typeof schema?.description === "string" ? schema.description : undefined;
}
