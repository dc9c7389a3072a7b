import { describe, expect, it } from "vitest";
import { type DiffLine, diffLines, splitLines, withContext } from "./line-diff.js";

const compact = (lines: DiffLine[]) =>
  lines.map((l) => `${l.kind === "same" ? " " : l.kind === "removed" ? "-" : "+"}${l.text}`).join("\n");

/** Both texts rebuilt from the diff: a diff that drops or invents a line fails here. */
function sides(lines: DiffLine[]) {
  return {
    old: lines.filter((l) => l.kind !== "added").map((l) => l.text),
    new: lines.filter((l) => l.kind !== "removed").map((l) => l.text),
  };
}

describe("diffLines", () => {
  it("keeps equal texts whole", () => {
    const d = diffLines("a\nb\nc\n", "a\nb\nc\n");
    expect(d.every((l) => l.kind === "same")).toBe(true);
    expect(d.map((l) => [l.oldLine, l.newLine])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it("finds one changed line among kept ones, removal first", () => {
    expect(compact(diffLines("a\nb\nc", "a\nB\nc"))).toBe(" a\n-b\n+B\n c");
  });

  it("shows additions and removals at either end and in empty texts", () => {
    expect(compact(diffLines("", "x\ny"))).toBe("+x\n+y");
    expect(compact(diffLines("x\ny", ""))).toBe("-x\n-y");
    expect(compact(diffLines("", ""))).toBe("");
    expect(compact(diffLines("b", "a\nb\nc"))).toBe("+a\n b\n+c");
  });

  it("is minimal: the classic ABCABBA → CBABAC example has 5 edits", () => {
    const d = diffLines("A\nB\nC\nA\nB\nB\nA", "C\nB\nA\nB\nA\nC");
    expect(d.filter((l) => l.kind !== "same")).toHaveLength(5);
    expect(sides(d)).toEqual({ old: splitLines("A\nB\nC\nA\nB\nB\nA"), new: splitLines("C\nB\nA\nB\nA\nC") });
  });

  it("numbers lines on both sides", () => {
    const d = diffLines("one\ntwo\nthree\n", "zero\none\nthree\nfour\n");
    expect(d).toEqual([
      { kind: "added", text: "zero", newLine: 1 },
      { kind: "same", text: "one", oldLine: 1, newLine: 2 },
      { kind: "removed", text: "two", oldLine: 2 },
      { kind: "same", text: "three", oldLine: 3, newLine: 3 },
      { kind: "added", text: "four", newLine: 4 },
    ]);
  });

  it("treats CRLF like LF and a final line break as no extra line", () => {
    expect(diffLines("a\r\nb\r\n", "a\nb").every((l) => l.kind === "same")).toBe(true);
  });

  it("rebuilds both sides and stays minimal on random texts (against an LCS table)", () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: rand(12) }, () => "abcd"[rand(4)] as string);
      const b = Array.from({ length: rand(12) }, () => "abcd"[rand(4)] as string);
      const d = diffLines(a.join("\n"), b.join("\n"));
      expect(sides(d)).toEqual({ old: a, new: b });
      expect(d.filter((l) => l.kind === "same")).toHaveLength(lcs(a, b));
    }
  });
});

function lcs(a: string[], b: string[]): number {
  const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      (t[i] as number[])[j] =
        a[i - 1] === b[j - 1]
          ? ((t[i - 1] as number[])[j - 1] as number) + 1
          : Math.max((t[i - 1] as number[])[j] as number, (t[i] as number[])[j - 1] as number);
  return (t[a.length] as number[])[b.length] as number;
}

describe("withContext", () => {
  it("keeps the changed lines with their neighbours and counts what it leaves out", () => {
    const old = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n");
    const d = withContext(diffLines(old, old.replace("line 10", "line ten")), 2);
    expect(d[0]).toEqual({ skipped: 7 });
    expect(d.slice(1, 7).map((l) => ("text" in l ? l.text : ""))).toEqual([
      "line 8",
      "line 9",
      "line 10",
      "line ten",
      "line 11",
      "line 12",
    ]);
    expect(d.at(-1)).toEqual({ skipped: 8 });
  });
});
