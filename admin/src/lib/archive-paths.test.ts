import { describe, expect, it } from "vitest";
import {
  archivePathError,
  archivePathErrors,
  cleanArchivePath,
  defaultArchivePath,
} from "./archive-paths.js";

describe("archive paths", () => {
  it("accepts relative paths the archive keeps as typed", () => {
    for (const ok of [
      "report.pdf",
      "letters/2024/Brief an Anna.txt",
      "ümlaut/日本.txt",
      ".bashrc",
      "a b/c",
    ]) {
      expect(archivePathError(ok), ok).toBeUndefined();
    }
  });

  it("says what is wrong with a path the server would have to change", () => {
    const cases: [string, string][] = [
      ["", "Give the file a path"],
      ["a\\b.txt", "Use “/”"],
      ["/etc/passwd", "leading “/”"],
      ["letters/", "ends with “/”"],
      ["a//b", "empty folder name"],
      ["../up.txt", "“.” or “..”"],
      ["a/./b", "“.” or “..”"],
      ["what?.txt", "“?”"],
      ["c:/x", "“:”"],
      ["tab\there", "control characters"],
      ["evil\u202etxt.exe", "control characters"],
      ["name.", "end with a dot"],
      ["folder /x", "end with a dot or a space"],
      ["CON.txt", "Windows reserves"],
      ["lpt1", "Windows reserves"],
      [`${"é".repeat(128)}.txt`, "too long"],
      [Array(300).fill("abcd").join("/"), "too long"],
    ];
    for (const [path, message] of cases) expect(archivePathError(path), path).toContain(message);
  });

  it("cleans what is typed as the server stores it", () => {
    expect(cleanArchivePath("  a/b.txt ")).toBe("a/b.txt");
    expect(cleanArchivePath("e\u0301.txt")).toBe("\u00e9.txt");
  });

  it("finds duplicates and a file named like another's folder, case ignored", () => {
    expect(archivePathErrors(["a.txt", "A.TXT", "b/c.txt", "B", "d.txt"])).toEqual([
      undefined,
      "File 1 already has this path; paths must differ.",
      undefined,
      "Another file is inside a folder of this name; choose another name.",
      undefined,
    ]);
    expect(archivePathErrors(["x/", "x/"])[0]).toContain("ends with");
  });

  it("gives an added file its name, else its folder and name, else a numbered name", () => {
    const file = { name: "a.txt", folder: "/docs/2024" };
    expect(defaultArchivePath(file, [])).toBe("a.txt");
    expect(defaultArchivePath(file, ["A.txt"])).toBe("docs/2024/a.txt");
    expect(defaultArchivePath(file, ["a.txt", "docs/2024/a.txt", "a (2).txt"])).toBe("a (3).txt");
    expect(defaultArchivePath({ name: "README", folder: "/" }, ["README"])).toBe("README (2)");
  });
});
