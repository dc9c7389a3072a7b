import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { REFERENCE_KEYWORD, referenceKind } from "./browser.js";

/** The files `entry` imports, directly or not, within this package (relative imports only). */
function reachable(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const m of readFileSync(entry, "utf8").matchAll(/^(?:import|export)[^;]*?from "(\.[^"]+)"/gms)) {
    reachable(join(dirname(entry), (m[1] as string).replace(/\.js$/, ".ts")), seen);
  }
  return seen;
}

describe("the browser entry", () => {
  it("reaches neither Ajv (code generation, refused by a strict CSP) nor a Node built-in", () => {
    const files = [...reachable(join(import.meta.dirname, "browser.ts"))];
    expect(files.map((f) => f.slice(import.meta.dirname.length + 1)).sort()).toContain("cel-check.ts");
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(text, file).not.toMatch(/from "(ajv|ajv-formats|ajv\/[^"]*)"/);
      expect(text, file).not.toMatch(/from "node:/);
    }
  });

  it("reads the reference marker of a schema", () => {
    expect(referenceKind({ type: "string", [REFERENCE_KEYWORD]: "bundle" })).toBe("bundle");
    expect(referenceKind({ type: "string", [REFERENCE_KEYWORD]: "recipient" })).toBe("recipient");
    expect(referenceKind({ type: "string", [REFERENCE_KEYWORD]: "file" })).toBeUndefined();
    expect(referenceKind({ type: "string" })).toBeUndefined();
    expect(referenceKind(undefined)).toBeUndefined();
  });
});
