import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildPlugin, main, ScaffoldError, scaffoldPlugin } from "../src/node.js";
import { SDK_DIR, SDK_ENTRY } from "./helpers.js";

// The scaffold's files; that its test passes in a fresh folder, with the SDK from a registry, is shown by
// e2e/test/plugins/guide.test.ts (docs/plugin-authors.md, step "test").

const roots: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});
async function root() {
  const dir = await mkdtemp(join(tmpdir(), "lf-init-"));
  roots.push(dir);
  return dir;
}

describe("latchflow-plugin init", () => {
  it("writes a plugin that follows the naming rule and builds, named after its folder", async () => {
    const dir = join(await root(), "greeter");
    const out = vi.spyOn(process.stdout, "write").mockReturnValue(true);
    expect(await main(["init", dir])).toBe(0);
    expect(String(out.mock.calls[0]?.[0])).toContain("created latchflow-plugin-greeter");

    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    const sdk = JSON.parse(await readFile(join(SDK_DIR, "package.json"), "utf8"));
    expect(pkg).toMatchObject({
      name: "latchflow-plugin-greeter",
      version: "1.0.0",
      devDependencies: { "@latchflow/plugin-sdk": `^${sdk.version}` },
    });
    expect(Object.keys(pkg.scripts)).toEqual(["build", "test", "pack", "release"]);
    expect(pkg.scripts.release).toBe("latchflow-plugin publish");
    for (const f of ["README.md", "test/hello.test.mjs", "tsconfig.json", ".gitignore"]) {
      expect((await readFile(join(dir, f), "utf8")).length, f).toBeGreaterThan(0);
    }
    expect(await readFile(join(dir, "README.md"), "utf8")).toContain(
      "uses: latchflow-plugin-greeter/hello@1",
    );

    // the source builds to the manifest the README promises (the SDK import pointed at this checkout)
    const source = await readFile(join(dir, "src", "index.ts"), "utf8");
    await writeFile(
      join(dir, "src", "index.ts"),
      source.replace('"@latchflow/plugin-sdk"', JSON.stringify(SDK_ENTRY)),
    );
    const { manifest } = await buildPlugin({ entry: join(dir, "src", "index.ts") });
    expect(manifest).toMatchObject({
      name: "latchflow-plugin-greeter",
      version: "1.0.0",
      capabilities: [{ key: "hello", major: 1, kind: "action" }],
    });
  });

  it("keeps a folder name that already has the prefix, and takes --name", async () => {
    const base = await root();
    expect((await scaffoldPlugin({ dir: join(base, "latchflow-plugin-x") })).name).toBe("latchflow-plugin-x");
    expect((await scaffoldPlugin({ dir: join(base, "y"), name: "latchflow-plugin-z" })).name).toBe(
      "latchflow-plugin-z",
    );
  });

  it("refuses a folder that is not empty, and names that break the rule", async () => {
    const base = await root();
    await mkdir(join(base, "busy"));
    await writeFile(join(base, "busy", "keep.txt"), "mine");
    await expect(scaffoldPlugin({ dir: join(base, "busy") })).rejects.toThrow(/is not empty/);
    expect(await readFile(join(base, "busy", "keep.txt"), "utf8")).toBe("mine");
    await expect(scaffoldPlugin({ dir: join(base, "ok"), name: "slack" })).rejects.toBeInstanceOf(
      ScaffoldError,
    );
    await expect(scaffoldPlugin({ dir: join(base, "Has Space") })).rejects.toThrow(/latchflow-plugin-<name>/);
  });

  it("answers usage errors with exit code 2", async () => {
    const err = vi.spyOn(process.stderr, "write").mockReturnValue(true);
    expect(await main(["init"])).toBe(2);
    expect(String(err.mock.calls[0]?.[0])).toContain("init needs one folder");
  });
});
