import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { LocalRegistry } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SDK_DIR } from "./helpers.js";
import { buildAndPack, emptyFolder, npmEnv, type Packed, registryWith, sh } from "./packaging.js";

/**
 * docs/plugin-authors.md, followed verbatim: every shell block after a `<!-- guide:step NAME -->` line runs, in
 * order, in one empty folder outside the workspace (a block's `cd` carries to the next), with the SDK and
 * create-latchflow-plugin published to a local registry. The guide cannot rot: change it and this runs it.
 */
const GUIDE = join(SDK_DIR, "..", "..", "docs", "plugin-authors.md");

interface Step {
  name: string;
  script: string;
}

export function guideSteps(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const m of markdown.matchAll(/<!-- guide:step ([a-z-]+) -->\n```sh\n([\s\S]*?)\n```\n/g)) {
    steps.push({ name: m[1]!, script: `${m[2]!}\n` });
  }
  return steps;
}

/** The steps this test runs, in the guide's order; the guide must have exactly these. */
const AUTHOR_STEPS = ["scaffold", "edit", "edit-test", "test", "pack"];
/** Steps that need `latchflow-plugin publish` and a server installing from the registry (issue #16, item 4). */
const REGISTRY_STEPS = ["publish", "install", "run"];
const hasPublish = existsSync(join(SDK_DIR, "src", "commands", "publish.ts"));

const STEP_TIMEOUT = 300_000;

describe("the plugin authors' guide, run verbatim", () => {
  let packed: Packed;
  let registry: LocalRegistry;
  let folder: Awaited<ReturnType<typeof emptyFolder>>;
  let steps: Step[];
  let cwd: string;
  const ran = new Map<string, { stdout: string; stderr: string }>();

  beforeAll(async () => {
    steps = guideSteps(await readFile(GUIDE, "utf8"));
    packed = await buildAndPack();
    registry = await registryWith(packed);
    folder = await emptyFolder();
    cwd = folder.dir;
  }, STEP_TIMEOUT);
  afterAll(async () => {
    await registry?.stop();
    await folder?.cleanup();
  });

  /** Runs one block as written, then notes where it left the shell (its `cd`) for the next one. */
  async function runStep(name: string) {
    const step = steps.find((s) => s.name === name);
    if (!step) throw new Error(`the guide has no step ${name}`);
    const cwdFile = join(folder.home, ".guide-cwd");
    const result = await sh(
      `${step.script}printf '%s' "$PWD" > '${cwdFile}'\n`,
      cwd,
      npmEnv(registry, folder.home),
    );
    expect(result.code, `step ${name} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
    cwd = await readFile(cwdFile, "utf8");
    ran.set(name, result);
    return result;
  }

  it("has the steps scaffold → edit → test → pack → publish → install → run, each a sh block", () => {
    expect(steps.map((s) => s.name)).toEqual([...AUTHOR_STEPS, ...REGISTRY_STEPS]);
  });

  it(
    "scaffold: npm create makes a plugin folder that installs the SDK from the registry",
    async () => {
      await runStep("scaffold");
      expect(cwd).toBe(join(folder.dir, "latchflow-plugin-hello"));
      const pkg = JSON.parse(await readFile(join(cwd, "package.json"), "utf8"));
      expect(pkg.name).toBe("latchflow-plugin-hello");
      expect(pkg.scripts).toMatchObject({
        build: expect.any(String),
        test: expect.any(String),
        pack: expect.any(String),
      });
      // the SDK came from the registry, built: no sources, no workspace around it
      const sdk = join(cwd, "node_modules", "@latchflow", "plugin-sdk");
      expect(existsSync(join(sdk, "dist", "node.js"))).toBe(true);
      expect(existsSync(join(sdk, "src"))).toBe(false);
    },
    STEP_TIMEOUT,
  );

  it("edit: the blocks replace the plugin and add a test", async () => {
    await runStep("edit");
    await runStep("edit-test");
    expect(await readFile(join(cwd, "src", "index.ts"), "utf8")).toContain("Bonjour");
  });

  it(
    "test: npm test builds the plugin and both tests pass in the sandbox",
    async () => {
      const { stdout } = await runStep("test");
      expect(stdout).toMatch(/\bpass 2\b/);
      expect(stdout).toMatch(/\bfail 0\b/);
      const manifest = JSON.parse(await readFile(join(cwd, "dist", "latchflow-plugin.json"), "utf8"));
      expect(manifest.capabilities).toMatchObject([{ key: "hello", major: 1, kind: "action" }]);
    },
    STEP_TIMEOUT,
  );

  it(
    "pack: npm run pack writes the tarball and prints its integrity",
    async () => {
      const { stdout } = await runStep("pack");
      const tarball = join(cwd, "latchflow-plugin-hello-1.0.0.tgz");
      expect(stdout).toContain(tarball);
      expect(stdout).toMatch(/sha512-[A-Za-z0-9+/]+=*/);
      expect(existsSync(tarball)).toBe(true);
    },
    STEP_TIMEOUT,
  );

  it.skipIf(!hasPublish)(
    "publish: latchflow-plugin publish puts the plugin in the registry",
    async () => {
      await runStep("publish");
      const res = await fetch(new URL("latchflow-plugin-hello", registry.url));
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { versions: Record<string, unknown> };
      expect(Object.keys(doc.versions)).toEqual(["1.0.0"]);
    },
    STEP_TIMEOUT,
  );
});
