import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV_VARS } from "../src/env-vars.js";

describe("README configuration table", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  it("documents every environment variable the config reads", () => {
    const missing = Object.keys(ENV_VARS).filter(
      (name) => !new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, "m").test(readme),
    );
    expect(missing).toEqual([]);
  });
});
