/** Where a JSON text's top-level array items start, or where the text stops being JSON. */
export type JsonPositions =
  | { ok: true; value: unknown; items: number[] | undefined }
  | { ok: false; offset: number; message: string };

const MAX_DEPTH = 64;
const WS = new Set([" ", "\t", "\n", "\r"]);

/**
 * Parses JSON text and, when it is an array, the offset each item starts at (for "line N" in messages). On a
 * syntax error: the offset where the text stops being JSON and what was expected. Nesting deeper than 64 levels
 * is refused (as the gateway refuses it in any body).
 */
export function parseJsonPositions(text: string): JsonPositions {
  let i = 0;
  const fail: (message: string) => never = (message) => {
    throw Object.assign(new Error(message), { offset: i });
  };
  const ws = () => {
    while (i < text.length && WS.has(text[i]!)) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail("an unknown word: JSON knows only true, false and null.");
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) fail("a text in double quotes is never closed.");
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") i += 2;
      else if (c < " ") fail("a line break or control character inside a text (write a line break as \\n).");
      else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m)
      fail("expected a value: a text in double quotes, a number, true, false, null, an object or an array.");
    i += m![0].length;
  };
  const value = (depth: number, items?: number[]): void => {
    ws();
    if (depth > MAX_DEPTH) fail(`it nests deeper than ${MAX_DEPTH} levels.`);
    const c = text[i];
    if (c === undefined) fail("the file ends where a value was expected.");
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a field name in double quotes.");
        string();
        ws();
        if (text[i] !== ":") fail("expected a colon after the field name.");
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return;
        } else fail("expected a comma or } after a field's value.");
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        ws();
        items?.push(i);
        value(depth + 1);
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return;
        } else fail("expected a comma or ] after an item.");
      }
    }
    if (c === '"') string();
    else if (/[A-Za-z]/.test(c)) literal(["true", "false", "null"].find((w) => w[0] === c) ?? "?");
    else number();
  };
  try {
    const start = text.startsWith("\uFEFF") ? 1 : 0;
    i = start;
    ws();
    const items: number[] | undefined = text[i] === "[" ? [] : undefined;
    value(0, items);
    ws();
    if (i < text.length) fail("there is more text after the end of the JSON.");
    return { ok: true, value: JSON.parse(text.slice(start)), items };
  } catch (err) {
    const offset = (err as { offset?: number }).offset;
    if (offset === undefined) throw err;
    return { ok: false, offset, message: (err as Error).message };
  }
}

/** The 1-based line of each offset (offsets in any order); CRLF, LF and CR end a line. */
export function linesOf(text: string, offsets: readonly number[]): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) starts.push(i + 1);
  }
  return offsets.map((offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  });
}
