import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LocalRegistry } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, runs } from "../pipelines/helpers.js";
import { OWNER_TOKEN, type Stack, startStack } from "../stack.js";
import { buildAndPack, emptyFolder, npmEnv, type Packed, REPO, registryWith, sh } from "./packaging.js";

/**
 * docs/plugin-authors.md, followed verbatim: every shell block after a `<!-- guide:step NAME -->` line runs, in
 * order, in one empty folder outside the workspace (a block's `cd` carries to the next), with the SDK and
 * create-latchflow-plugin published to a local registry. The operator's steps run the repository's `latchflow`
 * command against a server started with LATCHFLOW_PLUGIN_REGISTRY (SQLite, in-process bus: this test is about
 * the author's path; both stores and buses install from a registry in pipelines/plugins.test.ts).
 */
const GUIDE = join(REPO, "docs", "plugin-authors.md");

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
/** Then the registry: publish, and an operator's install and run. */
const REGISTRY_STEPS = ["publish", "install", "run"];

const STEP_TIMEOUT = 300_000;

describe("the plugin authors' guide, run verbatim", () => {
  let packed: Packed;
  let registry: LocalRegistry;
  let stack: Stack;
  let env: NodeJS.ProcessEnv;
  let folder: Awaited<ReturnType<typeof emptyFolder>>;
  let steps: Step[];
  let cwd: string;

  beforeAll(async () => {
    steps = guideSteps(await readFile(GUIDE, "utf8"));
    packed = await buildAndPack();
    registry = await registryWith(packed);
    folder = await emptyFolder();
    cwd = folder.dir;
    stack = await startStack("sqlite", "in-process", "guide", { LATCHFLOW_PLUGIN_REGISTRY: registry.url });
    // the operator's `latchflow`, signed in to that server
    const bin = join(folder.home, "bin");
    await mkdir(bin);
    await writeFile(
      join(bin, "latchflow"),
      `#!/bin/sh\nexec '${process.execPath}' '${join(REPO, "cli", "bin", "latchflow.mjs")}' "$@"\n`,
    );
    await chmod(join(bin, "latchflow"), 0o755);
    env = {
      ...npmEnv(registry, folder.home, [bin]),
      LATCHFLOW_SERVER: stack.base,
      LATCHFLOW_TOKEN: OWNER_TOKEN,
    };
  }, STEP_TIMEOUT);
  afterAll(async () => {
    await stack?.stop();
    await registry?.stop();
    await folder?.cleanup();
    if (packed) await rm(packed.dir, { recursive: true, force: true });
  });

  /** Runs one block as written, then notes where it left the shell (its `cd`) for the next one. */
  async function runStep(name: string) {
    const step = steps.find((s) => s.name === name);
    if (!step) throw new Error(`the guide has no step ${name}`);
    const cwdFile = join(folder.home, ".guide-cwd");
    const result = await sh(`${step.script}printf '%s' "$PWD" > '${cwdFile}'\n`, cwd, env);
    expect(result.code, `step ${name} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
    cwd = await readFile(cwdFile, "utf8");
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

  it(
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

  it(
    "install: the server installs it by name from the registry and enables it",
    async () => {
      await runStep("install");
      const plugin = await stack.client().getPlugin({ params: { name: "latchflow-plugin-hello" } });
      expect(plugin).toMatchObject({ version: "1.0.0", source: "registry" });
      expect(plugin.capabilities).toMatchObject([{ uses: "latchflow-plugin-hello/hello@1", enabled: true }]);
    },
    STEP_TIMEOUT,
  );

  it(
    "run: a pipeline uses the capability and its run succeeds with the plugin's output",
    async () => {
      await runStep("run");
      const [latest] = await runs(stack, "greet");
      const ended = await run(stack, "greet", latest!.id);
      expect(ended.status).toBe("succeeded");
      expect(ended.steps?.[0]?.outputs).toEqual({ greeting: "Hallo, Ada!" });
    },
    STEP_TIMEOUT,
  );
});
