import { describe, expect, it } from "vitest";
import {
  changeWords,
  exportFileName,
  importBlocked,
  importedSummary,
  importFormat,
  matchesSearch,
  planSummary,
  recipientLabel,
} from "./recipients.js";

describe("recipients", () => {
  it("matches a search on every word, in the address or the name, any case", () => {
    const r = { email: "alice@example.com", name: "Alice Smith" };
    expect(matchesSearch(r, "")).toBe(true);
    expect(matchesSearch(r, "SMITH example")).toBe(true);
    expect(matchesSearch(r, "alice bob")).toBe(false);
    expect(recipientLabel({ email: "x@y.z", name: "  " })).toBe("x@y.z");
  });

  it("tells a JSON file from a CSV by name, type, then the first character", () => {
    expect(importFormat({ name: "people.JSON", type: "" }, "email")).toBe("json");
    expect(importFormat({ name: "people.txt", type: "text/csv" }, "[")).toBe("csv");
    expect(importFormat({ name: "people", type: "" }, "\n  [{}]")).toBe("json");
    expect(importFormat({ name: "people", type: "" }, "email,name")).toBe("csv");
  });

  it("says what an import would do, and why it may not run", () => {
    const clean = { created: 2, updated: 1, unchanged: 0, rows: 3, errors: [] };
    expect(planSummary(clean)).toBe("2 to add, 1 to update");
    expect(planSummary({ created: 0, updated: 0, unchanged: 0 })).toBe("nothing to change");
    expect(importedSummary({ created: 2, updated: 0, unchanged: 1 })).toBe("2 added, 0 updated, 1 unchanged");
    expect(importBlocked(clean)).toBeUndefined();
    const error = { line: 4, row: 3, field: "email" as const, message: "" };
    expect(
      importBlocked({ ...clean, errors: [error, { ...error, field: "name" }, { ...error, line: 9 }] }),
    ).toBe(
      "Fix the 3 problems on 2 lines of the file, then choose it again: nothing is imported while any row is wrong.",
    );
    expect(importBlocked({ ...clean, rows: 0, created: 0, updated: 0 })).toBe(
      "The file has no recipients in it.",
    );
    expect(importBlocked({ ...clean, created: 0, updated: 0 })).toContain("already here");
  });

  it("describes each row's change", () => {
    const base = { line: 2, row: 1, email: "a@x.io", name: "Ann B", enabled: false, changes: [] };
    expect(changeWords({ ...base, action: "create", previous: null })).toBe("Will be added");
    expect(
      changeWords({
        ...base,
        action: "update",
        changes: ["name", "enabled"],
        previous: { name: "Ann", enabled: true },
      }),
    ).toBe("name “Ann” → “Ann B”; will be disabled");
  });

  it("names an export by its day", () => {
    expect(exportFileName("csv", new Date(2026, 0, 5, 23, 59))).toBe("recipients-2026-01-05.csv");
  });
});
