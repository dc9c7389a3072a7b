import { describe, expect, it } from "vitest";
import { byPlace, count, matching } from "./file-list.js";

describe("file list helpers", () => {
  it("matches names containing the search, case ignored; no search keeps all", () => {
    const files = [{ name: "Brief an Anna.txt" }, { name: "beach.PNG" }, { name: "notes" }];
    expect(matching(files, "anna").map((f) => f.name)).toEqual(["Brief an Anna.txt"]);
    expect(matching(files, " png ").map((f) => f.name)).toEqual(["beach.PNG"]);
    expect(matching(files, "")).toEqual(files);
    expect(matching(files, "zzz")).toEqual([]);
  });

  it("orders by folder, then name, numbers as numbers", () => {
    const files = [
      { folder: "/b", name: "x" },
      { folder: "/a", name: "file 10" },
      { folder: "/a", name: "File 9" },
      { folder: "/", name: "z" },
    ];
    expect([...files].sort(byPlace).map((f) => `${f.folder}|${f.name}`)).toEqual([
      "/|z",
      "/a|File 9",
      "/a|file 10",
      "/b|x",
    ]);
  });

  it("counts with a plural", () => {
    expect(count(1, "file")).toBe("1 file");
    expect(count(0, "file")).toBe("0 files");
    expect(count(3, "bundle")).toBe("3 bundles");
  });
});
