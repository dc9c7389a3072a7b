import { describe, expect, it } from "vitest";
import { parsePipeline } from "./parse-pipeline.js";

describe("parsePipeline on hostile documents", () => {
  it("answers a YAML alias bomb with a diagnostic, never a throw", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i <= 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const r = parsePipeline(levels.join("\n"));
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ code: "yaml_syntax", message: expect.stringContaining("alias") }),
    ]);
  });

  it("answers a document nested 100,000 deep with a diagnostic, never a throw", () => {
    const r = parsePipeline(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ severity: "error" });
  });
});
