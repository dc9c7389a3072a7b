import { describe, expect, it } from "vitest";
import {
  allFolders,
  crumbs,
  fileNameError,
  folderName,
  joinFolder,
  parentOf,
  parseFolder,
  subFolders,
} from "./folders.js";

describe("folder paths", () => {
  it("joins, climbs and names folders", () => {
    expect(joinFolder("/", "photos/2024")).toBe("/photos/2024");
    expect(joinFolder("/a/", "/b//c/")).toBe("/a/b/c");
    expect(joinFolder("/a", "")).toBe("/a");
    expect(parentOf("/a/b")).toBe("/a");
    expect(parentOf("/a")).toBe("/");
    expect(parentOf("/")).toBe("/");
    expect(folderName("/a/b")).toBe("b");
    expect(folderName("/")).toBe("");
  });

  it("makes a typed folder canonical as the server does, or says why it cannot be one", () => {
    expect(parseFolder(" letters/2024/ ")).toEqual({ folder: "/letters/2024" });
    expect(parseFolder("")).toEqual({ folder: "/" });
    expect(parseFolder("//a///b")).toEqual({ folder: "/a/b" });
    expect(parseFolder("/a/../etc")).toEqual({ error: expect.stringContaining("“..”") });
    expect(parseFolder("/a/./b")).toEqual({ error: expect.stringContaining("“.”") });
    expect(parseFolder("/a\u0007b")).toEqual({ error: expect.stringContaining("control") });
    expect(parseFolder(`/${"x".repeat(256)}`)).toEqual({ error: expect.stringContaining("255") });
    expect(parseFolder(`/${Array(300).fill("abcd").join("/")}`)).toEqual({
      error: expect.stringContaining("1024"),
    });
  });

  it("refuses the file names the server refuses", () => {
    expect(fileNameError("report.pdf")).toBeUndefined();
    expect(fileNameError("  ")).toBe("Give the file a name.");
    expect(fileNameError("a/b")).toContain("“/”");
    expect(fileNameError("..")).toContain("“..”");
    expect(fileNameError("a\nb")).toContain("control");
    expect(fileNameError("x".repeat(256))).toContain("255");
    expect(fileNameError("x".repeat(255))).toBeUndefined();
  });
});

describe("the folder tree", () => {
  const folders = ["/", "/photos/2024", "/photos/2024", "/photos/2023/summer", "/letters", "/Photo album"];

  it("lists the folders directly inside one, by name, counting the files all the way down", () => {
    expect(subFolders(folders, "/")).toEqual([
      { path: "/letters", name: "letters", files: 1 },
      { path: "/Photo album", name: "Photo album", files: 1 },
      { path: "/photos", name: "photos", files: 3 },
    ]);
    expect(subFolders(folders, "/photos")).toEqual([
      { path: "/photos/2023", name: "2023", files: 1 },
      { path: "/photos/2024", name: "2024", files: 2 },
    ]);
    expect(subFolders(folders, "/photos/2024")).toEqual([]);
    // a folder whose name only starts like another's is not inside it
    expect(subFolders(["/ab/c"], "/a")).toEqual([]);
  });

  it("names every folder that exists, parents included, the top first", () => {
    expect(allFolders(folders)).toEqual([
      "/",
      "/letters",
      "/Photo album",
      "/photos",
      "/photos/2023",
      "/photos/2023/summer",
      "/photos/2024",
    ]);
  });

  it("gives the breadcrumb from the top", () => {
    expect(crumbs("/")).toEqual([{ path: "/", name: "All files" }]);
    expect(crumbs("/a/b")).toEqual([
      { path: "/", name: "All files" },
      { path: "/a", name: "a" },
      { path: "/a/b", name: "b" },
    ]);
  });
});
