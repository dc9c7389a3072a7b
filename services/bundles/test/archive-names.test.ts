import { describe, expect, it } from "vitest";
import {
  assertEntryNames,
  MAX_NAME_BYTES,
  MAX_SEGMENT_BYTES,
  planZip,
  sanitizeEntryName,
  sanitizeEntryNames,
} from "../src/archive/index.js";
import { seeded } from "./archive-fixtures.js";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

describe("sanitizeEntryName", () => {
  it.each([
    ["../../etc/passwd", "etc/passwd"],
    ["/abs", "abs"],
    ["a\\..\\b", "a/b"],
    ["a/./b//c", "a/b/c"],
    ["C:\\Users\\x.txt", "Users/x.txt"],
    ["c:foo.txt", "foo.txt"],
    ["\\\\server\\share\\f", "server/share/f"],
    ['bad<>:"|?*.txt', "bad_______.txt"],
    ["tab\there\u0001\u007f", "tab_here__"],
    ["name. . ", "name"],
    ["dir./file ", "dir/file"],
    ["CON", "_CON"],
    ["con.txt", "_con.txt"],
    ["Lpt9.log", "_Lpt9.log"],
    ["nul .tar.gz", "_nul .tar.gz"],
    ["dir/aux/x", "dir/_aux/x"],
    ["COM0", "COM0"],
    ["CONSOLE.txt", "CONSOLE.txt"],
    ["\u202egpj.exe", "_gpj.exe"],
    ["a\ud800b", "a_b"],
    ["", "file"],
    ["..", "file"],
    ["///", "file"],
    ["...", "file"],
    ["e\u0301t\u0301e\u0301.txt", "\u00e9t\u0301\u00e9.txt"],
    ["Données/été 2024/résumé.pdf", "Données/été 2024/résumé.pdf"],
    ["日本語/ファイル.txt", "日本語/ファイル.txt"],
  ])("%j → %j", (input, expected) => {
    expect(sanitizeEntryName(input)).toBe(expected);
  });

  it("cuts long segments to 255 UTF-8 bytes, keeping the extension and whole characters", () => {
    const ascii = sanitizeEntryName("a".repeat(300) + ".txt");
    expect(bytes(ascii)).toBe(MAX_SEGMENT_BYTES);
    expect(ascii.endsWith("a.txt")).toBe(true);
    const accented = sanitizeEntryName("é".repeat(200));
    expect(accented).toBe("é".repeat(127));
    const emoji = sanitizeEntryName("😀".repeat(100));
    expect(emoji).toBe("😀".repeat(63));
  });

  it("cuts long names to 1,024 bytes, keeping the leading directories and the file name", () => {
    const dirs = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(200));
    const name = sanitizeEntryName([...dirs, "f.txt"].join("/"));
    expect(bytes(name)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(name).toBe([...dirs.slice(0, 5), "f.txt"].join("/"));
  });
});

describe("sanitizeEntryNames", () => {
  it.each([
    [
      ["a.txt", "a.txt", "A.TXT"],
      ["a.txt", "a (2).txt", "A (3).TXT"],
    ],
    [
      ["a.txt", "a.txt", "a (2).txt"],
      ["a.txt", "a (3).txt", "a (2).txt"],
    ],
    [
      ["a", "a/b"],
      ["a (2)", "a/b"],
    ],
    [
      ["A/b", "a", "x/A/c", "x/a"],
      ["A/b", "a (2)", "x/A/c", "x/a (2)"],
    ],
    [
      [".bashrc", ".bashrc"],
      [".bashrc", ".bashrc (2)"],
    ],
    [
      ["archive.tar.gz", "archive.tar.gz"],
      ["archive.tar.gz", "archive.tar (2).gz"],
    ],
    [
      ["../x", "x", "/x"],
      ["x", "x (2)", "x (3)"],
    ],
    [
      ["\u00e9.txt", "e\u0301.txt", "\u00c9.TXT"],
      ["\u00e9.txt", "\u00e9 (2).txt", "\u00c9 (3).TXT"],
    ],
  ])("%j → %j", (input, expected) => {
    expect(sanitizeEntryNames(input)).toEqual(expected);
  });

  it("keeps suffixed names within the byte limits", () => {
    const long = "b".repeat(255);
    const out = sanitizeEntryNames([long, long]);
    expect(out[1]).toBe("b".repeat(251) + " (2)");
    const deep = [...Array.from({ length: 4 }, () => "d".repeat(254)), "f"].join("/");
    expect(bytes(deep)).toBe(1021);
    const [first, second] = sanitizeEntryNames([deep, deep]);
    expect(first).toBe(deep);
    expect(bytes(second!)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(second!.endsWith("/f (2)")).toBe(true);
  });

  it("is safe, unique, deterministic and idempotent on random hostile input", () => {
    const alphabet = [
      "a",
      "A",
      "é",
      "e\u0301",
      ".",
      "..",
      "/",
      "\\",
      " ",
      ":",
      "C:",
      "<",
      "\u0000",
      "con",
      "x",
      "😀",
      "\ud800",
    ];
    const random = seeded(42);
    const pick = () => alphabet[Math.floor(random() * alphabet.length)]!;
    const inputs = Array.from({ length: 800 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 8) }, pick).join(""),
    );
    const out = sanitizeEntryNames(inputs);
    expect(sanitizeEntryNames(inputs)).toEqual(out);
    expect(sanitizeEntryNames(out)).toEqual(out);
    const keys = new Set(out.map((n) => n.toLowerCase()));
    expect(keys.size).toBe(out.length);
    for (const name of out) {
      expect(name).toBe(name.normalize("NFC"));
      expect(name).not.toMatch(/\\|^\/|\/$|\/\/|[<>:"|?*]/);
      expect([...name].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(false);
      const segments = name.split("/");
      for (const seg of segments) {
        expect(seg).not.toMatch(/^\.{1,2}$|[. ]$/);
        expect(bytes(seg)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
      }
      for (let i = 1; i < segments.length; i++) {
        expect(keys.has(segments.slice(0, i).join("/").toLowerCase())).toBe(false);
      }
    }
  });
});

describe("assertEntryNames", () => {
  it("accepts sanitized names and rejects anything sanitizing would change", () => {
    expect(() => assertEntryNames(["a.txt", "dir/b.txt"])).not.toThrow();
    for (const bad of [["../x"], ["a\\b"], ["a", "a"], ["a", "a/b"], ["e\u0301"], ["CON"], [""]]) {
      expect(() => assertEntryNames(bad)).toThrow(expect.objectContaining({ code: "validation_failed" }));
    }
  });

  it("is enforced by planZip", () => {
    const modifiedAt = new Date(0);
    expect(() => planZip([{ name: "../evil", size: 0, crc32: 0 }], { modifiedAt })).toThrow(/not sanitized/);
    expect(() =>
      planZip(
        [
          { name: "a", size: 0, crc32: 0 },
          { name: "A", size: 0, crc32: 0 },
        ],
        { modifiedAt },
      ),
    ).toThrow(/not sanitized/);
  });
});
