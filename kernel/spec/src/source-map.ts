import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import type { DiagnosticCode } from "./codes.js";
import type { Diagnostic, Range, Severity } from "./diagnostic.js";

/** A parsed YAML document with what is needed to turn paths and offsets into 1-based ranges. */
export interface SourceMap {
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/** A document path: map keys and sequence indexes. */
export type Path = readonly (string | number)[];

/** Range between two character offsets of the source. */
export function offsetRange(src: SourceMap, start: number, end: number): Range {
  const s = src.lineCounter.linePos(Math.max(0, Math.min(start, src.text.length)));
  const e = src.lineCounter.linePos(Math.max(0, Math.min(Math.max(end, start), src.text.length)));
  return { start: { line: s.line, column: s.col }, end: { line: e.line, column: e.col } };
}

/** JSON Pointer of a path (RFC 6901). */
export function toPointer(path: Path): string {
  return path.map((p) => `/${String(p).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** Path of a JSON Pointer such as Ajv's `instancePath`. */
export function fromPointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/**
 * The YAML node at `path`, or the nearest ancestor that exists; with `key`, the key node of the last
 * map entry on the way (the `name:` in `name: value`) when the full path resolved to a map entry.
 */
export function findNode(src: SourceMap, path: Path, key = false): Node | undefined {
  let node: unknown = src.doc.contents;
  let keyNode: Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return node;
      keyNode = isScalar(pair.key) ? pair.key : undefined;
      if (pair.value === null || pair.value === undefined) return keyNode ?? node;
      if (i === path.length - 1 && key && keyNode) return keyNode;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined || item === null) return node;
      node = item;
    } else {
      return node as Node;
    }
  }
  return (node ?? undefined) as Node | undefined;
}

/** Range of the node at `path` (see {@link findNode}); the whole document when nothing is there. */
export function pathRange(src: SourceMap, path: Path, key = false): Range {
  const node = findNode(src, path, key);
  if (node?.range) return offsetRange(src, node.range[0], node.range[1]);
  return offsetRange(src, 0, src.text.length);
}

/**
 * Source offset where character `index` of a scalar's value starts, when the value is written
 * verbatim (plain, or quoted without escapes); `undefined` otherwise (block scalars, escapes).
 */
export function scalarValueOffset(src: SourceMap, path: Path, index: number): number | undefined {
  const node = findNode(src, path);
  if (!isScalar(node) || !node.range || typeof node.value !== "string") return undefined;
  const raw = src.text.slice(node.range[0], node.range[1]);
  if (raw === node.value) return node.range[0] + index;
  const quoted = raw.length >= 2 && (raw[0] === '"' || raw[0] === "'") && raw.at(-1) === raw[0];
  if (quoted && raw.slice(1, -1) === node.value) return node.range[0] + 1 + index;
  return undefined;
}

/** Options of {@link makeDiagnostic}. */
export interface DiagnosticOptions {
  severity?: Severity;
  suggestion?: string | undefined;
  /** Point at the key (`uses:`) rather than the value. */
  key?: boolean;
  /** Explicit range, overriding the path's node. */
  range?: Range;
}

/** A diagnostic located at `path` (or at `options.range`). */
export function makeDiagnostic(
  src: SourceMap,
  code: DiagnosticCode,
  message: string,
  path: Path,
  options: DiagnosticOptions = {},
): Diagnostic {
  return {
    code,
    message,
    severity: options.severity ?? "error",
    range: options.range ?? pathRange(src, path, options.key),
    path: toPointer(path),
    ...(options.suggestion === undefined ? {} : { suggestion: options.suggestion }),
  };
}
