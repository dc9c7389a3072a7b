/** One line of a diff: kept (in both), removed (only in the old text) or added (only in the new one). */
export interface DiffLine {
  kind: "same" | "removed" | "added";
  text: string;
  /** 1-based line numbers in the old and the new text (absent on the side the line is not in) */
  oldLine?: number;
  newLine?: number;
}

/** A text's lines (a final line break does not start another line). */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/**
 * The shortest line diff of two texts (Myers' O((N+M)·D) algorithm, "An O(ND) Difference Algorithm and Its
 * Variations", 1986): the fewest removed and added lines, in order, every other line kept. Removals come before
 * additions where both are possible, as `diff -u` shows them.
 */
export function diffLines(oldText: string, newText: string): DiffLine[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  // common first and last lines are kept without searching
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const middle = myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail));
  const ops: DiffLine["kind"][] = [
    ...Array<"same">(head).fill("same"),
    ...middle,
    ...Array<"same">(tail).fill("same"),
  ];
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  for (const kind of ops) {
    if (kind === "same") out.push({ kind, text: a[i] as string, oldLine: ++i, newLine: ++j });
    else if (kind === "removed") out.push({ kind, text: a[i] as string, oldLine: ++i });
    else out.push({ kind, text: b[j] as string, newLine: ++j });
  }
  return out;
}

/** The edit script between two line lists, as one operation per line. */
function myers(a: readonly string[], b: readonly string[]): DiffLine["kind"][] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  // v[k + offset]: the furthest x on diagonal k; one copy per step d, to walk back the path
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = max === 0;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[k - 1 + offset] as number) < (v[k + 1 + offset] as number));
      let x = down ? (v[k + 1 + offset] as number) : (v[k - 1 + offset] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[k + offset] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // walk back from (n, m) through the saved frontiers
  const ops: DiffLine["kind"][] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const w = trace[d] as Int32Array;
    const k = x - y;
    const down = k === -d || (k !== d && (w[k - 1 + offset] as number) < (w[k + 1 + offset] as number));
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : (w[prevK + offset] as number);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push("same");
      x--;
      y--;
    }
    if (d > 0) {
      if (down) {
        ops.push("added");
        y--;
      } else {
        ops.push("removed");
        x--;
      }
    }
  }
  while (x > 0 && y > 0) {
    ops.push("same");
    x--;
    y--;
  }
  return ops.reverse();
}

/** A diff with only `context` kept lines around each change; the lines left out become `{ skipped }` markers. */
export function withContext(lines: readonly DiffLine[], context = 3): (DiffLine | { skipped: number })[] {
  const keep = lines.map(() => false);
  lines.forEach((l, i) => {
    if (l.kind === "same") return;
    for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) keep[j] = true;
  });
  const out: (DiffLine | { skipped: number })[] = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (keep[i]) {
      if (skipped) out.push({ skipped });
      skipped = 0;
      out.push(l);
    } else skipped++;
  });
  if (skipped) out.push({ skipped });
  return out;
}
