// One YAML document shared by the pipeline builder and the YAML tab (ADR 030). The text is the truth and the
// `yaml` Document is always its parse. An edit of the builder (set, delete, insert or move at a path) becomes the
// smallest change of the text that the nodes' source ranges allow, so comments, key order and formatting of what
// it did not touch stay byte for byte. Every change is checked by parsing the new text: it must hold exactly the
// intended value, else a larger enclosing node is rewritten, and last the document is printed from its nodes.
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import {
  blockRegions,
  type Collection,
  colonAfterKey,
  columnOf,
  contentEnd,
  eolOf,
  type Found,
  find,
  flowItemRange,
  isMissing,
  lineStart,
  type Path,
  type Region,
} from "./yaml-layout.js";
import {
  blockValueText,
  documentLines,
  flowPairText,
  flowText,
  itemLines,
  linesAt,
  pairLines,
} from "./yaml-render.js";

export type { Path } from "./yaml-layout.js";

/** A YAML text with its parse. */
export interface YamlSource {
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
}

/** A change the builder makes. `order` names keys in their preferred order, for where a new key goes. */
export type Edit =
  | { op: "set"; path: Path; value: unknown; order?: readonly string[] }
  | { op: "delete"; path: Path }
  | { op: "insert"; path: Path; index: number; value: unknown }
  | { op: "move"; path: Path; from: number; to: number };

/** Parses a text (source ranges kept for the edits). */
export function parseYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true });
  return { text, doc, lineCounter };
}

const values = new WeakMap<YamlSource, unknown>();

/** The document's value as plain data (computed once per source); `undefined` when it does not parse. */
export function plainValue(src: YamlSource): unknown {
  if (src.doc.errors.length) return undefined;
  if (!values.has(src)) values.set(src, src.doc.toJS({ maxAliasCount: 100 }));
  return values.get(src);
}

/** The plain value at a path, or `undefined`. */
export const valueAt = (src: YamlSource, path: Path): unknown => valueIn(plainValue(src), path);

function valueIn(v: unknown, path: Path): unknown {
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** A deep copy of plain data (works on framework proxies, which `structuredClone` refuses). */
function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copy) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])) as T;
  }
  return value;
}

/**
 * Applies a builder edit to the text, changing as little of it as possible. Throws when the text does not parse
 * (the builder is not offered then).
 */
export function applyEdit(src: YamlSource, edit: Edit): YamlSource {
  if (src.doc.errors.length) throw new Error("The YAML has syntax errors: edit the text first");
  const expected = applyToValue(plainValue(src), edit);
  if (equal(plainValue(src), expected)) return src;
  const tries: (() => YamlSource | string | undefined)[] = [
    () => precise(src, edit),
    ...ancestors(edit).map((p) => () => replaceNode(src, p, valueIn(expected, p))),
    () => printed(src, edit),
  ];
  for (const attempt of tries) {
    const result = attempt();
    if (result === undefined) continue;
    const next = typeof result === "string" ? parseYaml(result) : result;
    if (!next.doc.errors.length && equal(plainValue(next), expected)) return next;
  }
  throw new Error("The change could not be written to the YAML");
}

/** Applies several edits in turn. */
export const applyEdits = (src: YamlSource, edits: readonly Edit[]): YamlSource =>
  edits.reduce(applyEdit, src);

// ---- the intended value

function applyToValue(root: unknown, edit: Edit): unknown {
  const out = copy(root);
  const holder = { root: out } as Record<string, unknown>;
  const path: (string | number)[] = ["root", ...edit.path];
  let parent: Record<string | number, unknown> = holder;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i] as string | number;
    let next = parent[seg];
    if (next === null || typeof next !== "object") {
      if (edit.op !== "set") return out;
      next = typeof path[i + 1] === "number" ? [] : {};
      parent[seg] = next;
    }
    parent = next as Record<string | number, unknown>;
  }
  const last = path.at(-1) as string | number;
  if (edit.op === "set") parent[last] = copy(edit.value);
  else if (edit.op === "delete") {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    const seq = parent[last];
    if (!Array.isArray(seq)) return holder.root;
    if (edit.op === "insert") seq.splice(edit.index, 0, copy(edit.value));
    else seq.splice(edit.to, 0, ...seq.splice(edit.from, 1));
  }
  return holder.root;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The paths of the nodes that enclose the edit, innermost first, ending with the document itself. */
function ancestors(edit: Edit): Path[] {
  const base = edit.op === "insert" || edit.op === "move" ? edit.path : edit.path.slice(0, -1);
  const out: Path[] = [];
  for (let i = base.length; i >= 0; i--) out.push(base.slice(0, i));
  return out;
}

// ---- the smallest change

const splice = (text: string, from: number, to: number, insert: string) =>
  text.slice(0, from) + insert + text.slice(to);

const isScalarValue = (v: unknown) => v === null || typeof v !== "object";
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function precise(src: YamlSource, edit: Edit): YamlSource | string | undefined {
  switch (edit.op) {
    case "set":
      return setAt(src, edit.path, edit.value, edit.order);
    case "delete":
      return deleteAt(src, edit.path);
    case "insert":
      return insertAt(src, edit.path, edit.index, edit.value);
    case "move":
      return moveAt(src, edit.path, edit.from, edit.to);
  }
}

/** Sets a value: a scalar in place, a map or list key by key and item by item, a missing key added. */
function setAt(
  src: YamlSource,
  path: Path,
  value: unknown,
  order?: readonly string[],
): YamlSource | string | undefined {
  const found = find(src.doc, path);
  if (isMissing(found)) return addMissing(src, path, found.depth, value, order);
  const current = valueAt(src, path);
  if (equal(current, value)) return src;
  const { node } = found;
  if ((node === null || isScalar(node)) && isScalarValue(value)) return setScalar(src, found, value);
  if (isMap(node) && isPlainObject(value) && isPlainObject(current))
    return setMapKeys(src, path, current, value);
  if (isSeq(node) && Array.isArray(value) && Array.isArray(current))
    return setItems(src, path, current, value);
  return replaceNode(src, path, value);
}

function setMapKeys(
  src: YamlSource,
  path: Path,
  current: Record<string, unknown>,
  value: Record<string, unknown>,
): YamlSource {
  let s = src;
  const order = Object.keys(value);
  for (const key of Object.keys(current))
    if (!(key in value)) s = applyEdit(s, { op: "delete", path: [...path, key] });
  for (const key of order) s = applyEdit(s, { op: "set", path: [...path, key], value: value[key], order });
  return s;
}

function setItems(src: YamlSource, path: Path, current: unknown[], value: unknown[]): YamlSource {
  let s = src;
  for (let i = current.length - 1; i >= value.length; i--)
    s = applyEdit(s, { op: "delete", path: [...path, i] });
  for (let i = 0; i < value.length; i++) {
    s =
      i < current.length
        ? applyEdit(s, { op: "set", path: [...path, i], value: value[i] })
        : applyEdit(s, { op: "insert", path, index: i, value: value[i] });
  }
  return s;
}

/** Writes a scalar over a scalar (or over nothing, `key:` without a value), keeping its quoting style. */
function setScalar(src: YamlSource, found: Found, value: unknown): string | undefined {
  const { text } = src;
  const { node, pair } = found;
  if (!node?.range) return pair ? replaceNode(src, undefined, value, found) : undefined;
  const type = isScalar(node) ? node.type : undefined;
  const [from, to] = node.range;
  let out: string;
  if (found.inFlow) out = flowText(value, type);
  else {
    const anchor = pair ? (pair.key as Node).range?.[0] : dashBefore(text, from);
    if (anchor === undefined) return undefined;
    out = blockValueText(value, columnOf(text, anchor), pair ? "afterKey" : "item", eolOf(text), type);
    if (/^\r?\n/.test(out)) return undefined;
    out = out.replace(/^ /, "");
  }
  if (/\n$/.test(text.slice(from, to)) && !out.endsWith("\n")) out += eolOf(text);
  if (from === to && text[from - 1] === ":") out = ` ${out}`;
  return splice(text, from, to, out);
}

/** The dash of the sequence item whose value starts at `offset`. */
function dashBefore(text: string, offset: number): number | undefined {
  let p = offset;
  while (p > 0 && /\s/.test(text[p - 1] ?? "")) p--;
  return text[p - 1] === "-" ? p - 1 : undefined;
}

/** A key (or a last item) that is not there yet: added to the deepest collection that is. */
function addMissing(
  src: YamlSource,
  path: Path,
  depth: number,
  value: unknown,
  order?: readonly string[],
): YamlSource | string | undefined {
  const parentPath = path.slice(0, depth);
  let nested: unknown = value;
  for (let i = path.length - 1; i > depth; i--) {
    const seg = path[i];
    nested = typeof seg === "number" ? [nested] : { [seg as string]: nested };
  }
  const parent = depth === 0 ? { node: src.doc.contents as Node | null } : find(src.doc, parentPath);
  if (isMissing(parent as Found)) return undefined;
  const node = (parent as Found).node;
  const seg = path[depth] as string | number;
  if (isMap(node) && typeof seg === "string") {
    // `with: {}` getting its first key in block context becomes a block map (long values read better)
    if (node.flow && node.items.length === 0 && depth > 0 && !(parent as Found).inFlow) {
      return replaceNode(src, parentPath, { [seg]: nested });
    }
    return addPair(src, node, seg, nested, order);
  }
  if (isSeq(node) && seg === node.items.length) return insertAt(src, parentPath, seg, nested);
  return undefined;
}

function addPair(
  src: YamlSource,
  map: YAMLMap,
  key: string,
  value: unknown,
  order?: readonly string[],
): string | undefined {
  const { text } = src;
  const rank = (k: string) => order?.indexOf(k) ?? -1;
  let index = map.items.length;
  if (rank(key) >= 0) {
    const later = map.items.findIndex((p) => {
      const k = isScalar(p.key) ? String(p.key.value) : "";
      return rank(k) > rank(key);
    });
    if (later >= 0) index = later;
  }
  if (map.flow) return flowInsert(text, map, index, flowPairText(key, value), true);
  const layout = blockRegions(text, map);
  if (!layout) return undefined;
  return blockInsert(text, layout.regions, layout.column, index, pairLines(key, value));
}

function deleteAt(src: YamlSource, path: Path): string | undefined {
  const found = find(src.doc, path);
  if (isMissing(found) || !found.parent) return undefined;
  const { parent, index } = found;
  const { text } = src;
  if (parent.items.length === 1) {
    // an empty collection has no block form: `with: {}`, `steps: []`
    const parentPath = path.slice(0, -1);
    return replaceNode(src, parentPath, isSeq(parent) ? [] : {});
  }
  if (parent.flow) return flowDelete(text, parent, index);
  const layout = blockRegions(text, parent);
  return layout && blockDelete(text, layout.regions, index);
}

function insertAt(src: YamlSource, path: Path, index: number, value: unknown): string | undefined {
  const found = find(src.doc, path);
  if (isMissing(found)) return undefined;
  const seq = found.node;
  if (!isSeq(seq)) return undefined;
  const { text } = src;
  if (seq.flow) {
    // a map or list into `[]`: the list is written as a block instead
    if (seq.items.length === 0 && !isScalarValue(value) && !found.inFlow) {
      return replaceNode(src, path, [value]);
    }
    return flowInsert(text, seq, index, flowText(value), false);
  }
  const layout = blockRegions(text, seq);
  return layout && blockInsert(text, layout.regions, layout.column, index, itemLines(value));
}

function moveAt(src: YamlSource, path: Path, from: number, to: number): string | undefined {
  const found = find(src.doc, path);
  if (isMissing(found) || !isSeq(found.node)) return undefined;
  const seq = found.node as YAMLSeq;
  if (seq.flow) return flowMove(src.text, seq, from, to);
  const layout = blockRegions(src.text, seq);
  return layout && blockMove(src.text, layout.regions, from, to);
}

/**
 * Rewrites one node's text from `value`, keeping the text around it: after its key's `:` (or its dash) up to the
 * end of its content. The fallback for changes of kind (a list where a string was), and for the enclosing nodes of
 * an edit the smaller steps could not write.
 */
function replaceNode(
  src: YamlSource,
  path: Path | undefined,
  value: unknown,
  at?: Found,
): string | undefined {
  const { text } = src;
  const eol = eolOf(text);
  const found = at ?? (path ? find(src.doc, path) : undefined);
  if (!found || isMissing(found)) return undefined;
  if (path && path.length === 0) {
    const contents = src.doc.contents as Node | null;
    const lines = documentLines(value).join(eol);
    if (!contents?.range) return text + lines + eol;
    return splice(text, contents.range[0], contentEnd(text, contents), lines);
  }
  const { node, pair, inFlow } = found;
  if (inFlow) {
    if (!node?.range) return undefined;
    return splice(text, node.range[0], node.range[1], flowText(value));
  }
  if (pair) {
    const colon = colonAfterKey(text, pair);
    if (colon === undefined) return undefined;
    const column = columnOf(text, (pair.key as Node).range?.[0] ?? colon);
    const end = node ? Math.max(contentEnd(text, node), colon + 1) : colon + 1;
    return splice(text, colon + 1, end, blockValueText(value, column, "afterKey", eol));
  }
  if (!node?.range) return undefined;
  const dash = dashBefore(text, node.range[0]);
  if (dash === undefined) return undefined;
  const end = Math.max(contentEnd(text, node), dash + 1);
  return splice(text, dash + 1, end, blockValueText(value, columnOf(text, dash), "item", eol));
}

/** Last resort: the edit made on a copy of the Document, printed from its nodes (comments kept, spacing not). */
function printed(src: YamlSource, edit: Edit): string {
  const doc = src.doc.clone();
  if (edit.op === "set") doc.setIn(edit.path, doc.createNode(edit.value));
  else if (edit.op === "delete") doc.deleteIn(edit.path);
  else {
    const seq = doc.getIn(edit.path, true);
    if (!isSeq(seq)) return src.text;
    if (edit.op === "insert") seq.items.splice(edit.index, 0, doc.createNode(edit.value));
    else seq.items.splice(edit.to, 0, ...seq.items.splice(edit.from, 1));
  }
  return doc.toString({ lineWidth: 0 });
}

// ---- block collections: items own whole lines

/** The blank lines between the first two items, when the items are spaced out that way. */
function gapOf(text: string, regions: readonly Region[]): string {
  const [a, b] = regions;
  if (!a || !b) return "";
  const gap = text.slice(a.tail, b.head);
  return /^\s*$/.test(gap) ? gap : "";
}

function blockInsert(
  text: string,
  regions: readonly Region[],
  column: number,
  index: number,
  lines: readonly string[],
): string | undefined {
  const eol = eolOf(text);
  const body = linesAt(lines, column, eol);
  const gap = gapOf(text, regions);
  const at = regions[index];
  if (at) return at.compact ? undefined : splice(text, at.head, at.head, body + gap);
  const last = regions.at(-1);
  if (!last) return undefined;
  const open = last.tail === text.length && !text.endsWith("\n") ? eol : "";
  return splice(text, last.tail, last.tail, open + gap + body);
}

function blockDelete(text: string, regions: readonly Region[], index: number): string | undefined {
  const r = regions[index];
  const prev = regions[index - 1];
  const next = regions[index + 1];
  if (!r) return undefined;
  if (r.compact) {
    // `- id: x` losing `id`: the next key moves up onto the dash's line
    if (!next || next.head !== lineStart(text, next.start)) return undefined;
    return splice(text, r.start, next.start, "");
  }
  // the item, and the blank lines that set it apart (so that no double gap is left)
  const before = prev ? text.slice(prev.tail, r.head) : "";
  const after = next ? text.slice(r.tail, next.head) : "";
  if (next && isBlankText(after) && (!prev || isBlankText(before)))
    return splice(text, r.head, next.head, "");
  if (!next && prev && isBlankText(before)) return splice(text, prev.tail, r.tail, "");
  return splice(text, r.head, r.tail, "");
}

const isBlankText = (s: string) => /^\s*$/.test(s);

function blockMove(text: string, regions: readonly Region[], from: number, to: number): string | undefined {
  if (regions.some((r) => r.compact)) return undefined;
  const eol = eolOf(text);
  const first = regions[0] as Region;
  const last = regions.at(-1) as Region;
  const items = regions.map((r) => text.slice(r.head, r.tail));
  const gaps = regions.slice(0, -1).map((r, i) => text.slice(r.tail, (regions[i + 1] as Region).head));
  const open = !(items.at(-1) as string).endsWith("\n");
  if (open) items[items.length - 1] += eol;
  const order = items.map((_, i) => i);
  order.splice(to, 0, ...order.splice(from, 1));
  let out = order.map((k, j) => items[k] + (gaps[j] ?? "")).join("");
  if (open) out = out.slice(0, -eol.length);
  return splice(text, first.head, last.tail, out);
}

// ---- flow collections: items are separated by commas

function flowRanges(coll: Collection): [number, number][] | undefined {
  const ranges = coll.items.map(flowItemRange);
  return ranges.some((r) => !r) ? undefined : (ranges as [number, number][]);
}

function flowInsert(
  text: string,
  coll: Collection,
  index: number,
  item: string,
  isMapItem: boolean,
): string | undefined {
  const range = coll.range;
  const ranges = flowRanges(coll);
  if (!range || !ranges) return undefined;
  if (ranges.length === 0) {
    const inner = isMapItem ? ` ${item} ` : item;
    return splice(text, range[0] + 1, range[1] - 1, inner);
  }
  const sep =
    ranges.length >= 2
      ? text.slice((ranges[0] as [number, number])[1], (ranges[1] as [number, number])[0])
      : ", ";
  if (!/^\s*,\s*$/.test(sep)) return undefined;
  const at = ranges[index];
  if (at) return splice(text, at[0], at[0], item + sep);
  const end = (ranges.at(-1) as [number, number])[1];
  return splice(text, end, end, sep + item);
}

function flowDelete(text: string, coll: Collection, index: number): string | undefined {
  const ranges = flowRanges(coll);
  const r = ranges?.[index];
  if (!ranges || !r) return undefined;
  const next = ranges[index + 1];
  if (next) return splice(text, r[0], next[0], "");
  const prev = ranges[index - 1];
  return prev ? splice(text, prev[1], r[1], "") : undefined;
}

function flowMove(text: string, coll: Collection, from: number, to: number): string | undefined {
  const ranges = flowRanges(coll);
  if (!ranges || ranges.length < 2) return undefined;
  const items = ranges.map(([a, b]) => text.slice(a, b));
  const order = items.map((_, i) => i);
  order.splice(to, 0, ...order.splice(from, 1));
  let out = text.slice(0, (ranges[0] as [number, number])[0]);
  ranges.forEach(([, end], j) => {
    out += items[order[j] as number];
    const next = ranges[j + 1];
    out += next ? text.slice(end, next[0]) : "";
  });
  return out + text.slice((ranges.at(-1) as [number, number])[1]);
}
