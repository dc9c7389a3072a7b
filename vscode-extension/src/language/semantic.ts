import { isMap, isScalar, Scalar } from "yaml";
import { items, parseText } from "./document.js";

/** Token types of {@link celSemanticTokens}, in legend order (LSP standard names). */
export const SEMANTIC_TOKEN_TYPES = [
  "variable",
  "property",
  "function",
  "keyword",
  "string",
  "number",
  "operator",
] as const;
type TokenType = (typeof SEMANTIC_TOKEN_TYPES)[number];

const TOKEN =
  /"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[uU]?|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|&&|\|\||[-+*/%!<>?:]|\S/g;
const KEYWORDS = new Set(["true", "false", "null", "in"]);

/** The tokens of one CEL expression: [start, length, type] with offsets into the expression. */
export function celTokens(expression: string): [number, number, TokenType][] {
  const out: [number, number, TokenType][] = [];
  let afterDot = false;
  for (const m of expression.matchAll(TOKEN)) {
    const t = m[0];
    const next = expression.slice(m.index + t.length).trimStart()[0];
    let type: TokenType | undefined;
    if (t[0] === '"' || t[0] === "'") type = "string";
    else if (/^\d/.test(t)) type = "number";
    else if (/^[A-Za-z_]/.test(t)) {
      if (KEYWORDS.has(t) && !afterDot) type = "keyword";
      else if (next === "(") type = "function";
      else type = afterDot ? "property" : "variable";
    } else if (t !== "." && !/^[()[\],{}]$/.test(t)) type = "operator";
    if (type) out.push([m.index, t.length, type]);
    afterDot = t === ".";
  }
  return out;
}

/**
 * The pieces of source text a condition's CEL is written in, as [offset, text]: the whole value for a one-line
 * scalar (without its quotes), and line by line for a multi-line one (plain, quoted, or a block scalar `|` /
 * `>`, its header line aside); each piece is tokenized on its own (CEL has no literal that spans lines). None
 * for a quoted value with escapes (its source and its value differ).
 */
export function celSegments(text: string, cond: Scalar): [number, string][] {
  if (!cond.range || typeof cond.value !== "string") return [];
  const [start, end] = cond.range;
  const raw = text.slice(start, end);
  const block = cond.type === Scalar.BLOCK_LITERAL || cond.type === Scalar.BLOCK_FOLDED;
  const quoted = cond.type === Scalar.QUOTE_DOUBLE || cond.type === Scalar.QUOTE_SINGLE;
  if (quoted && (raw.includes("\\") || raw.slice(1, -1).includes("''"))) return [];
  const out: [number, string][] = [];
  let lineStart = start;
  raw.split("\n").forEach((line, i, all) => {
    let from = 0;
    let to = line.endsWith("\r") ? line.length - 1 : line.length;
    if (quoted && i === 0) from = 1;
    if (quoted && i === all.length - 1) to = Math.max(from, to - 1);
    const skip = block && i === 0; // the `|` / `>` header (and its comment)
    while (from < to && (line[from] === " " || line[from] === "\t")) from++;
    while (to > from && (line[to - 1] === " " || line[to - 1] === "\t")) to--;
    if (!skip && to > from) out.push([lineStart + from, line.slice(from, to)]);
    lineStart += line.length + 1;
  });
  return out;
}

/**
 * Semantic tokens (LSP's relative encoding) highlighting the CEL of every step's `if:`, plain, quoted (without
 * escapes) or a block scalar, on one line or several.
 */
export function celSemanticTokens(text: string): number[] {
  const parsed = parseText(text);
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  for (const step of items(parsed.doc, "steps")) {
    if (!isMap(step.node)) continue;
    const cond = step.node.get("if", true);
    if (!isScalar(cond)) continue;
    for (const [base, segment] of celSegments(text, cond)) {
      for (const [start, length, type] of celTokens(segment)) {
        const pos = parsed.lines.positionAt(base + start);
        const deltaLine = pos.line - prevLine;
        const deltaChar = deltaLine === 0 ? pos.character - prevChar : pos.character;
        data.push(deltaLine, deltaChar, length, SEMANTIC_TOKEN_TYPES.indexOf(type), 0);
        prevLine = pos.line;
        prevChar = pos.character;
      }
    }
  }
  return data;
}
