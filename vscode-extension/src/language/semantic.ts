import { isMap, isScalar } from "yaml";
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
 * Semantic tokens (LSP's relative encoding) highlighting the CEL of every step's `if:`, when the expression is
 * written on one line, plain or quoted without escapes (elsewhere it keeps the YAML string colour).
 */
export function celSemanticTokens(text: string): number[] {
  const parsed = parseText(text);
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  for (const step of items(parsed.doc, "steps")) {
    if (!isMap(step.node)) continue;
    const cond = step.node.get("if", true);
    if (!isScalar(cond) || typeof cond.value !== "string" || !cond.range) continue;
    const raw = text.slice(cond.range[0], cond.range[1]);
    const quoted = raw.length >= 2 && (raw[0] === '"' || raw[0] === "'") && raw.at(-1) === raw[0];
    const inner = quoted ? raw.slice(1, -1) : raw;
    if (inner !== cond.value || inner.includes("\n")) continue;
    const base = cond.range[0] + (quoted ? 1 : 0);
    for (const [start, length, type] of celTokens(inner)) {
      const pos = parsed.lines.positionAt(base + start);
      const deltaLine = pos.line - prevLine;
      const deltaChar = deltaLine === 0 ? pos.character - prevChar : pos.character;
      data.push(deltaLine, deltaChar, length, SEMANTIC_TOKEN_TYPES.indexOf(type), 0);
      prevLine = pos.line;
      prevChar = pos.character;
    }
  }
  return data;
}
