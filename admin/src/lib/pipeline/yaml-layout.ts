// Where things are in a YAML text: the nodes on a path, and the stretch of text each item of a collection owns
// (its leading comment lines, its content, a comment after it), from the source ranges `yaml` keeps on its nodes.
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";

/** A path into the document: map keys and sequence indexes. */
export type Path = readonly (string | number)[];

export type Collection = YAMLMap | YAMLSeq;

/** What is at a path: the node (`null` for a key without a value), its parent collection, and its pair in a map. */
export interface Found {
  node: Node | null;
  parent: Collection | undefined;
  pair: Pair | undefined;
  /** the index of the pair or item in its parent */
  index: number;
  /** inside a flow collection (`{ … }`, `[ … ]`), where values are written on one line */
  inFlow: boolean;
}

const keyOf = (pair: Pair): string | undefined =>
  isScalar(pair.key) ? String(pair.key.value) : typeof pair.key === "string" ? pair.key : undefined;

/** The index of `key`'s pair in a map, or -1. */
export const pairIndex = (map: YAMLMap, key: string | number): number =>
  map.items.findIndex((p) => keyOf(p) === String(key));

/**
 * The node at `path`, or how much of the path exists: `depth` segments of it (the node at
 * `path.slice(0, depth)` is the deepest one there is).
 */
export function find(doc: Document.Parsed, path: Path): Found | { missing: true; depth: number } {
  let node: unknown = doc.contents;
  let found: Found = {
    node: (node as Node) ?? null,
    parent: undefined,
    pair: undefined,
    index: -1,
    inFlow: false,
  };
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string | number;
    const inFlow = found.inFlow || (isCollection(node) && !!node.flow);
    if (isMap(node)) {
      const index = pairIndex(node, seg);
      const pair = node.items[index];
      if (!pair) return { missing: true, depth: i };
      found = { node: (pair.value as Node) ?? null, parent: node, pair, index, inFlow };
    } else if (isSeq(node) && typeof seg === "number" && seg >= 0 && seg < node.items.length) {
      found = { node: (node.items[seg] as Node) ?? null, parent: node, pair: undefined, index: seg, inFlow };
    } else {
      return { missing: true, depth: i };
    }
    node = found.node;
  }
  return found;
}

export const isMissing = (
  f: Found | { missing: true; depth: number },
): f is { missing: true; depth: number } => "missing" in f;

// ---- text positions

export const lineStart = (text: string, offset: number): number => text.lastIndexOf("\n", offset - 1) + 1;

/** The offset just after the line break ending the line at `offset` (or the end of the text). */
export function nextLine(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl < 0 ? text.length : nl + 1;
}

export const columnOf = (text: string, offset: number): number => offset - lineStart(text, offset);

const lineAt = (text: string, offset: number): string => text.slice(offset, nextLine(text, offset));
export const isBlankLine = (line: string): boolean => /^\s*$/.test(line);
const isCommentLine = (line: string): boolean => /^\s*#/.test(line);
const indentOf = (line: string): number => line.length - line.trimStart().length;

/** The line break the text uses (CRLF texts get CRLF in what is added). */
export const eolOf = (text: string): string => (text.includes("\r\n") ? "\r\n" : "\n");

/** Where a node's content ends (after its last character, before a comment after it and trailing space). */
export function contentEnd(text: string, node: unknown): number {
  let end = -1;
  const visit = (n: unknown) => {
    if (isPair(n)) {
      visit(n.key);
      visit(n.value);
    } else if (isScalar(n) || isAlias(n) || (isCollection(n) && n.flow)) {
      end = Math.max(end, (n as Node).range?.[1] ?? -1);
    } else if (isCollection(n)) {
      for (const item of n.items) visit(item);
    }
  };
  visit(node);
  while (end > 0 && /\s/.test(text[end - 1] ?? "")) end--;
  return end;
}

// ---- the items of a collection

/** The text an item of a block collection owns: `[head, tail)`; `start` is its first character. */
export interface Region {
  /** its leading comment lines (directly above it), else the start of its line */
  head: number;
  start: number;
  /** just after the line break ending its content (and a comment after it, and deeper comment lines below) */
  tail: number;
  /** it starts on the line of its parent's indicator (`- id: x`): nothing of that line is its own */
  compact: boolean;
}

/** Where an item starts: a pair at its key, a sequence item at its dash. */
function itemStart(text: string, item: unknown): number | undefined {
  if (isPair(item)) {
    const key = item.key as Node | null;
    return isScalar(key) && key.range ? key.range[0] : undefined;
  }
  const range = (item as Node | null)?.range;
  if (!range) return undefined;
  let p = range[0];
  while (p > 0 && /\s/.test(text[p - 1] ?? "")) p--;
  return text[p - 1] === "-" ? p - 1 : undefined;
}

/** The items of a block collection with their regions, and the column they are written at. */
export function blockRegions(
  text: string,
  coll: Collection,
): { column: number; regions: Region[] } | undefined {
  const starts = coll.items.map((item) => itemStart(text, item));
  if (starts.some((s) => s === undefined) || starts.length === 0) return undefined;
  const column = columnOf(text, starts[0] as number);
  const regions: Region[] = [];
  for (let i = 0; i < coll.items.length; i++) {
    const start = starts[i] as number;
    const compact = text.slice(lineStart(text, start), start).trim() !== "";
    if (!compact && columnOf(text, start) !== column) return undefined;
    const end = Math.max(contentEnd(text, coll.items[i]), start + 1);
    let tail = nextLine(text, end - 1);
    // comment lines right below, deeper than the items, are the item's own
    while (tail < text.length) {
      const line = lineAt(text, tail);
      if (!isCommentLine(line) || indentOf(line) <= column) break;
      tail = nextLine(text, tail);
    }
    let head = compact ? start : lineStart(text, start);
    const floor = regions[i - 1]?.tail ?? 0;
    while (!compact && head > floor) {
      const above = lineStart(text, head - 1);
      const line = lineAt(text, above);
      if (!isCommentLine(line) || indentOf(line) < column) break;
      head = above;
    }
    if (i > 0 && head < (regions[i - 1] as Region).tail) return undefined;
    regions.push({ head, start, tail, compact });
  }
  return { column, regions };
}

/** The text of an item of a flow collection: `[start, end)` (a pair from its key to its value's end). */
export function flowItemRange(item: unknown): [number, number] | undefined {
  if (isPair(item)) {
    const key = item.key as Node | null;
    const value = item.value as Node | null;
    if (!isScalar(key) || !key.range) return undefined;
    const end = value?.range && value.range[1] > value.range[0] ? value.range[1] : key.range[1];
    return [key.range[0], end];
  }
  const range = (item as Node | null)?.range;
  return range ? [range[0], range[1]] : undefined;
}

/** The offset of `:` after a block pair's key (the value starts after it). */
export function colonAfterKey(text: string, pair: Pair): number | undefined {
  const key = pair.key as Node | null;
  if (!isScalar(key) || !key.range) return undefined;
  let p = key.range[1];
  while (p < text.length && (text[p] === " " || text[p] === "\t")) p++;
  return text[p] === ":" ? p : undefined;
}
