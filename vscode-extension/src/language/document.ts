import { PIPELINE_API_VERSION } from "@latchflow/spec";
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLMap,
} from "yaml";
import { LineIndex } from "./text.js";

/** A document text parsed once for the language features (never for validation: that is @latchflow/spec's). */
export interface ParsedText {
  text: string;
  lines: LineIndex;
  doc: Document.Parsed;
}

let last: ParsedText | undefined;

/** Parses `text` with `yaml` (tolerant: a document with errors still has a tree); the last result is reused. */
export function parseText(text: string): ParsedText {
  if (last?.text === text) return last;
  last = { text, lines: new LineIndex(text), doc: parseDocument(text, { keepSourceTokens: true }) };
  return last;
}

const API_VERSION_LINE = new RegExp(
  `^apiVersion:[ \\t]*(["']?)${PIPELINE_API_VERSION.replaceAll(".", "\\.")}\\1[ \\t]*(#.*)?\\r?$`,
  "m",
);

/**
 * Whether the language features apply: a `*.latchflow.yaml` / `*.latchflow.yml` file, or any YAML document
 * with a top-level `apiVersion: latchflow.dev/v1` line. Other YAML is left alone.
 */
export function isPipelineDocument(uri: string, text: string): boolean {
  if (/\.latchflow\.ya?ml$/i.test(uri)) return true;
  return API_VERSION_LINE.test(text);
}

/** One step or trigger of the document, with its nodes. */
export interface Item {
  section: "triggers" | "steps";
  index: number;
  node: YAMLMap;
  id?: Scalar & { value: string };
  uses?: Scalar & { value: string };
}

function stringScalar(node: unknown): (Scalar & { value: string }) | undefined {
  return isScalar(node) && typeof node.value === "string" ? (node as Scalar & { value: string }) : undefined;
}

/** The triggers and steps written in the document, in order (items that are not maps are skipped). */
export function items(doc: Document.Parsed, section?: "triggers" | "steps"): Item[] {
  const out: Item[] = [];
  for (const s of section ? [section] : (["triggers", "steps"] as const)) {
    const seq = doc.getIn(["spec", s], true);
    if (!isSeq(seq)) continue;
    seq.items.forEach((node, index) => {
      if (!isMap(node)) return;
      const id = stringScalar(node.get("id", true));
      const uses = stringScalar(node.get("uses", true));
      out.push({ section: s, index, node, ...(id ? { id } : {}), ...(uses ? { uses } : {}) });
    });
  }
  return out;
}

/** The deepest scalar whose source range contains `offset` (ends included, so a cursor after it counts). */
export function scalarAt(
  doc: Document.Parsed,
  offset: number,
): { node: Scalar; key: boolean; path: (string | number)[] } | undefined {
  let found: { node: Scalar; key: boolean; path: (string | number)[] } | undefined;
  const visitNode = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? pair.key : undefined;
        const name = k ? String(k.value) : "";
        if (k?.range && k.range[0] <= offset && offset <= k.range[1])
          found = { node: k, key: true, path: [...path, name] };
        visitNode(pair.value, [...path, name]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        visitNode(item, [...path, i]);
      });
    } else if (isScalar(node) && node.range && node.range[0] <= offset && offset <= node.range[1]) {
      found = { node, key: false, path };
    }
  };
  visitNode(doc.contents, []);
  return found;
}

/** Source range [start, end) of a node's value, without trailing line breaks or comments. */
export function nodeSpan(node: Node): [number, number] | undefined {
  return node.range ? [node.range[0], node.range[1]] : undefined;
}
