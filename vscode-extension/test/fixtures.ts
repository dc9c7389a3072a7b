import { readFileSync } from "node:fs";
import { LineIndex, type Position } from "../src/language/index.js";

/** The cursor marker in fixtures. */
export const CURSOR = "‸";

/** A fixture with one `‸`: the text without it and the marker's LSP position. */
export function cursor(withMarker: string): { text: string; position: Position } {
  const offset = withMarker.indexOf(CURSOR);
  if (offset < 0 || withMarker.indexOf(CURSOR, offset + 1) >= 0) throw new Error("exactly one ‸ expected");
  const text = withMarker.slice(0, offset) + withMarker.slice(offset + CURSOR.length);
  return { text, position: new LineIndex(text).positionAt(offset) };
}

/** The block-style ARCHITECTURE §3.4 example (valid against the built-in capabilities). */
export const EXAMPLE = readFileSync(
  new URL("./fixtures/family-legacy.latchflow.yaml", import.meta.url),
  "utf8",
);

/** The example with one exact fragment replaced (throws when the fragment is not there). */
export function edit(from: string, to: string): string {
  if (!EXAMPLE.includes(from)) throw new Error(`fragment not in the example: ${from}`);
  return EXAMPLE.replace(from, to);
}

/** Line (0-based) of the first line containing `fragment`, and the column where it starts. */
export function find(text: string, fragment: string, nth = 0): Position {
  let offset = -1;
  for (let i = 0; i <= nth; i++) offset = text.indexOf(fragment, offset + 1);
  if (offset < 0) throw new Error(`not found: ${fragment}`);
  return new LineIndex(text).positionAt(offset);
}
