import { describe, expect, it } from "vitest";
import { parseCsv } from "./csv.js";
import { linesOf, parseJsonPositions } from "./json-positions.js";
import { inFileOrder, MAX_IMPORT_ROWS, readImportFile } from "./recipient-import.js";

describe("parseCsv", () => {
  it("keeps the physical line each record starts on: quoted line breaks, CRLF, CR and blank lines count", () => {
    const text = 'email,name\r\na@x.io,"Ann\r\nof two lines"\r\n\r\nb@x.io,Bob\rc@x.io,"say ""hi"", ok"\n';
    expect(parseCsv(text)).toEqual({
      records: [
        { line: 1, fields: ["email", "name"] },
        { line: 2, fields: ["a@x.io", "Ann\nof two lines"] },
        { line: 5, fields: ["b@x.io", "Bob"] },
        { line: 6, fields: ["c@x.io", 'say "hi", ok'] },
      ],
    });
  });

  it("ignores a byte order mark and rows of empty fields; a last line without a line end is read", () => {
    expect(parseCsv("\uFEFFemail\n,,\nz@x.io").records).toEqual([
      { line: 1, fields: ["email"] },
      { line: 3, fields: ["z@x.io"] },
    ]);
  });

  it("says where a quoted field opened that never closes", () => {
    expect(parseCsv('email,name\na@x.io,ok\nb@x.io,"open\nc@x.io,x\n')).toEqual({
      records: [
        { line: 1, fields: ["email", "name"] },
        { line: 2, fields: ["a@x.io", "ok"] },
      ],
      unterminatedAt: 3,
    });
  });
});

describe("parseJsonPositions", () => {
  it("finds where each top-level item starts", () => {
    const text =
      '[\n  {"email": "a@x.io", "name": "[not, an item]"},\n  {"email": "b@x.io",\n   "x": [1, {"y": 2}]}, 3\n]';
    const parsed = parseJsonPositions(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(linesOf(text, parsed.items!)).toEqual([2, 3, 4]);
    expect(parsed.value).toEqual(JSON.parse(text));
  });

  it("answers where the text stops being JSON, and why", () => {
    const cases: [string, number, string][] = [
      ['[\n{"email": "a@x.io"},\n]', 3, "expected a value"],
      ['[\n{"email": "a@x.io"}\n{"email": "b@x.io"}]', 3, "expected a comma or ]"],
      ['[\n{email: "a@x.io"}]', 2, "expected a field name"],
      ['[\n{"email": "a@x.io\n"}]', 2, "line break or control character"],
      ['[\n{"enabled": yes}]', 2, "unknown word"],
      ["[1]\n\nx", 3, "more text"],
      ["[\n", 2, "the file ends"],
      [`${"[".repeat(70)}${"]".repeat(70)}`, 1, "nests deeper"],
    ];
    for (const [text, line, words] of cases) {
      const parsed = parseJsonPositions(text);
      expect(parsed.ok, text).toBe(false);
      if (parsed.ok) continue;
      expect(linesOf(text, [parsed.offset]), text).toEqual([line]);
      expect(parsed.message, text).toContain(words);
    }
  });

  it("has no items outside an array, and takes a byte order mark", () => {
    const parsed = parseJsonPositions('\uFEFF{"email": "a@x.io"}');
    expect(parsed).toEqual({ ok: true, value: { email: "a@x.io" }, items: undefined });
  });
});

describe("readImportFile", () => {
  it("reads CSV rows with their lines, and every problem of form at once", () => {
    const text = [
      "Email,Name,Enabled,Phone",
      "a@x.io,Ann,yes,1",
      'b@x.io,"Bob',
      'the second line",maybe,2',
      "c@x.io,Smith, Carol,true,3",
      "d@x.io,,0",
    ].join("\n");
    const file = readImportFile(text, "csv");
    expect(file.total).toBe(4);
    expect(file.rows).toEqual([
      { row: 1, line: 2, email: "a@x.io", name: "Ann", enabled: true },
      { row: 2, line: 3, email: "b@x.io", name: "Bob\nthe second line" },
      { row: 3, line: 5, email: "c@x.io", name: "Smith" },
      { row: 4, line: 6, email: "d@x.io", name: "", enabled: false },
    ]);
    expect(file.errors).toEqual([
      { line: 3, row: 2, field: "enabled", message: expect.stringContaining("not “maybe”") },
      { line: 5, row: 3, field: "row", message: expect.stringContaining("5 fields") },
      { line: 5, row: 3, field: "enabled", message: expect.stringContaining("not “Carol”") },
    ]);
  });

  it("refuses a CSV without an email column or without anything, at the header's line", () => {
    expect(readImportFile("\n\nname\nAnn\n", "csv").errors).toEqual([
      { line: 3, row: null, field: "file", message: expect.stringContaining("email") },
    ]);
    expect(readImportFile("", "csv").errors).toEqual([
      { line: 1, row: null, field: "file", message: expect.stringContaining("empty") },
    ]);
  });

  it("reads JSON items with the line each starts on, and their problems", () => {
    const text = `[
  {"email": "a@x.io", "name": "Ann"},
  {"email": 5},
  "b@x.io",
  {"email": "c@x.io", "enabled": "yes", "phone": "1"},
  {"name": "no address"}
]`;
    const file = readImportFile(text, "json");
    expect(file.total).toBe(5);
    expect(file.rows).toEqual([
      { row: 1, line: 2, email: "a@x.io", name: "Ann" },
      { row: 4, line: 5, email: "c@x.io", name: "" },
      { row: 5, line: 6, email: "", name: "no address" },
    ]);
    expect(file.errors).toEqual([
      { line: 3, row: 2, field: "email", message: expect.stringContaining("must be text") },
      { line: 4, row: 3, field: "row", message: expect.stringContaining("must be an object") },
      { line: 5, row: 4, field: "row", message: expect.stringContaining("“phone”") },
      { line: 5, row: 4, field: "enabled", message: expect.stringContaining("true or false") },
    ]);
  });

  it("refuses JSON that is not an array, or not JSON, at the right line", () => {
    expect(readImportFile('\n{"email": "a@x.io"}', "json").errors).toEqual([
      { line: 2, row: null, field: "file", message: expect.stringContaining("array") },
    ]);
    expect(readImportFile('[\n{"email": "a@x.io"},\n]', "json").errors).toEqual([
      { line: 3, row: null, field: "file", message: expect.stringContaining("not valid JSON") },
    ]);
  });

  it(`checks at most ${MAX_IMPORT_ROWS} rows and says so at the first one over`, () => {
    const text = `email\n${Array.from({ length: MAX_IMPORT_ROWS + 2 }, (_, i) => `p${i}@x.io`).join("\n")}`;
    const file = readImportFile(text, "csv");
    expect(file.rows).toHaveLength(MAX_IMPORT_ROWS);
    expect(file.total).toBe(MAX_IMPORT_ROWS + 2);
    expect(file.errors).toEqual([
      {
        line: MAX_IMPORT_ROWS + 2,
        row: null,
        field: "file",
        message: expect.stringContaining("10,002 rows"),
      },
    ]);
  });

  it("orders problems by line, then the file's, the row's and each field's", () => {
    const e = (line: number, field: "file" | "row" | "email" | "name" | "enabled") => ({
      line,
      row: 1,
      field,
      message: "",
    });
    expect(inFileOrder([e(4, "enabled"), e(2, "name"), e(4, "email"), e(4, "row"), e(2, "file")])).toEqual([
      e(2, "file"),
      e(2, "name"),
      e(4, "row"),
      e(4, "email"),
      e(4, "enabled"),
    ]);
  });
});
