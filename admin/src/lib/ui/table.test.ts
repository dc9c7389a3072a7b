import { describe, expect, it } from "vitest";
import { type Column, sortRows } from "./table.js";

interface Row {
  name: string;
  size: number;
}
const rows: Row[] = [
  { name: "Bundle 10", size: 3 },
  { name: "bundle 2", size: 1 },
  { name: "Bundle 1", size: 3 },
];
const byName: Column<Row> = { key: "name", label: "Name", sort: (r) => r.name };
const bySize: Column<Row> = { key: "size", label: "Size", sort: (r) => r.size };

describe("sortRows", () => {
  it("compares names as people read them: numbers inside, case ignored", () => {
    expect(sortRows(rows, byName, "ascending").map((r) => r.name)).toEqual([
      "Bundle 1",
      "bundle 2",
      "Bundle 10",
    ]);
    expect(sortRows(rows, byName, "descending").map((r) => r.name)).toEqual([
      "Bundle 10",
      "bundle 2",
      "Bundle 1",
    ]);
  });

  it("keeps the given order of equal values, both ways, and leaves the input alone", () => {
    expect(sortRows(rows, bySize, "ascending").map((r) => r.name)).toEqual([
      "bundle 2",
      "Bundle 10",
      "Bundle 1",
    ]);
    expect(sortRows(rows, bySize, "descending").map((r) => r.name)).toEqual([
      "Bundle 10",
      "Bundle 1",
      "bundle 2",
    ]);
    expect(rows[0]!.name).toBe("Bundle 10");
  });

  it("leaves the order as it is for a column that does not sort", () => {
    expect(sortRows(rows, { key: "x", label: "X" }, "ascending")).toEqual(rows);
  });
});
