// New YAML text for the parts of a document the builder changes. Each value is rendered by the `yaml` library
// inside a wrapper (a one-key map, a one-item sequence, a flow sequence) whose indicator is then cut off, so the
// library's quoting and block-scalar rules apply and only the column comes from the surrounding text.
import { Document, isScalar, type Node, type Scalar, type ToStringOptions, visit, type YAMLMap } from "yaml";

const OPTIONS: ToStringOptions = { indent: 2, lineWidth: 0, flowCollectionPadding: false };
/** Lists of at most this many scalars, this short in JSON, are written in flow style (`to: [a@example.com]`). */
const FLOW_ITEMS = 6;
const FLOW_WIDTH = 60;

/** A plain value as YAML nodes: short lists of scalars in flow style, as the docs write them. */
function nodeOf(doc: Document, value: unknown, scalarType?: Scalar.Type): Node {
  const node = doc.createNode(value) as Node;
  if (isScalar(node) && scalarType) node.type = scalarType;
  visit(node, {
    Seq(_, seq) {
      const short = JSON.stringify(seq.toJSON()).length <= FLOW_WIDTH;
      if (seq.items.length <= FLOW_ITEMS && seq.items.every((i) => isScalar(i)) && short) seq.flow = true;
    },
  });
  return node;
}

function render(build: (doc: Document) => Node): string {
  const doc = new Document();
  doc.contents = build(doc);
  return doc.toString(OPTIONS).replace(/\n$/, "");
}

function mapOf(doc: Document, key: string, value: Node, flow = false): Node {
  const map = doc.createNode({}) as YAMLMap;
  map.add(doc.createPair(key, value));
  map.flow = flow;
  return map;
}

function seqOf(doc: Document, value: Node, flow = false): Node {
  const seq = doc.createNode([]) as Node & { items: Node[]; flow: boolean };
  seq.items.push(value);
  seq.flow = flow;
  return seq;
}

const asFlow = (node: Node): Node => {
  if (!isScalar(node)) (node as { flow?: boolean }).flow = true;
  else if (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") node.type = undefined;
  return node;
};

/** `key: value` as lines, the key at column 0: a pair to add to a block map. */
export function pairLines(key: string, value: unknown): string[] {
  return render((doc) => mapOf(doc, key, nodeOf(doc, value))).split("\n");
}

/** `- value` as lines, the dash at column 0: an item to add to a block sequence. */
export function itemLines(value: unknown): string[] {
  return render((doc) => seqOf(doc, nodeOf(doc, value))).split("\n");
}

/** The lines of a whole document's contents at column 0. */
export function documentLines(value: unknown): string[] {
  return render((doc) => nodeOf(doc, value)).split("\n");
}

/** A value inside a flow collection (`[a, "b, c"]`), on one line. */
export function flowText(value: unknown, scalarType?: Scalar.Type): string {
  return render((doc) => seqOf(doc, asFlow(nodeOf(doc, value, scalarType)), true)).slice(1, -1);
}

/** A pair inside a flow map: `key: value`, on one line. */
export function flowPairText(key: string, value: unknown): string {
  return render((doc) => mapOf(doc, key, asFlow(nodeOf(doc, value)), true))
    .slice(1, -1)
    .trim();
}

/**
 * A value written after `key:` (`afterKey`) or `-` (`item`) in block context. The text starts right after the
 * indicator: a space and a scalar or flow collection, or a line break and a block collection. Later lines are
 * indented from `column`, the column of the key or dash. A scalar keeps `scalarType` (quotes, `|`) when it can.
 */
export function blockValueText(
  value: unknown,
  column: number,
  context: "afterKey" | "item",
  eol: string,
  scalarType?: Scalar.Type,
): string {
  const lines = render((doc) => {
    const node = nodeOf(doc, value, scalarType);
    return context === "afterKey" ? mapOf(doc, "k", node) : seqOf(doc, node);
  }).split("\n");
  const first = (lines[0] ?? "").slice(context === "afterKey" ? 2 : 1);
  const pad = " ".repeat(column);
  return [first, ...lines.slice(1).map((l) => (l ? pad + l : l))].join(eol);
}

/** Rendered lines indented to `column`, as text ending with a line break. */
export function linesAt(lines: readonly string[], column: number, eol: string): string {
  const pad = " ".repeat(column);
  return lines.map((l) => (l ? pad + l : l)).join(eol) + eol;
}
