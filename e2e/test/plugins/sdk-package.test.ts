import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { untar } from "@latchflow/plugin-sdk/node";
import type { LocalRegistry } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAndPack, emptyFolder, npmEnv, type Packed, REPO, registryWith, sh } from "./packaging.js";

/**
 * The SDK as published: `pnpm pack` of plugins/sdk, installed by npm from its tarball file into an empty folder
 * outside the workspace (its dependencies from the registry), then used through its bin and its types.
 */
const TIMEOUT = 300_000;

const PLUGIN = `import { actionInput, definePlugin, type Host } from "@latchflow/plugin-sdk";

export default definePlugin({
  name: "latchflow-plugin-shout",
  version: "2.1.0",
  permissions: [{ name: "kv", reason: "count the shouts" }],
  capabilities: {
    "shout@1": {
      kind: "action",
      configSchema: { type: "object", properties: { text: { type: "string" } } },
      async run(input, host: Host) {
        const text: string = String(actionInput(input).config.text);
        const n = (((await host.kv.get("n")) as number | null) ?? 0) + 1;
        await host.kv.set("n", n);
        return { text: text.toUpperCase(), n };
      },
    },
  },
});
`;

describe("the packed @latchflow/plugin-sdk", () => {
  let packed: Packed;
  let registry: LocalRegistry;
  let folder: Awaited<ReturnType<typeof emptyFolder>>;
  let env: NodeJS.ProcessEnv;
  const shell = async (script: string) => {
    const r = await sh(script, folder.dir, env);
    expect(r.code, `${script}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    packed = await buildAndPack();
    registry = await registryWith(packed);
    folder = await emptyFolder();
    env = npmEnv(registry, folder.home);
  }, TIMEOUT);
  afterAll(async () => {
    await registry?.stop();
    await folder?.cleanup();
    if (packed) await rm(packed.dir, { recursive: true, force: true });
  });

  it("holds the built files only, and depends on nothing of the workspace", async () => {
    const files = untar(gunzipSync(await readFile(packed.sdk)));
    const names = [...files.keys()];
    expect(names).toEqual(
      expect.arrayContaining([
        "package/bin/latchflow-plugin.mjs",
        "package/dist/index.js",
        "package/dist/index.d.ts",
        "package/dist/node.js",
        "package/dist/node.d.ts",
        "package/dist/testing.js",
        "package/dist/testing.d.ts",
        "package/README.md",
      ]),
    );
    expect(names.filter((n) => n.startsWith("package/src/") || n.startsWith("package/test/"))).toEqual([]);
    const pkg = JSON.parse(files.get("package/package.json")!.toString("utf8"));
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.private).toBeUndefined();
    expect(pkg.dependencies).toEqual({ esbuild: "0.28.2", "isolated-vm": "6.2.0" });
    expect(pkg.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
    expect(pkg.bin).toEqual({ "latchflow-plugin": "./bin/latchflow-plugin.mjs" });
    // the bundles import only their real dependencies, Node's own modules, and the SDK itself (the scaffold's
    // templates name it; a self-reference resolves through the package's own exports)
    for (const file of ["package/dist/index.js", "package/dist/node.js", "package/dist/testing.js"]) {
      const imports = [
        ...files
          .get(file)!
          .toString("utf8")
          .matchAll(/from "([^"]+)"/g),
      ].map((m) => m[1]!);
      const allowed = /^(node:|esbuild$|isolated-vm$|@latchflow\/plugin-sdk(\/node|\/testing)?$)/;
      expect(
        imports.filter((i) => !allowed.test(i)),
        file,
      ).toEqual([]);
      expect(imports.some((i) => i.startsWith("@latchflow/") && !i.startsWith("@latchflow/plugin-sdk"))).toBe(
        false,
      );
    }
    // what a plugin bundles from the SDK has no Node APIs
    expect(files.get("package/dist/index.js")!.toString("utf8")).not.toMatch(/\bfrom "node:/);
  });

  it(
    "installs into an empty folder; latchflow-plugin build, test and pack work there",
    async () => {
      await shell(`npm init -y >/dev/null && npm install --save-dev '${packed.sdk}'`);
      await shell("mkdir src");
      await writeFile(join(folder.dir, "src", "index.ts"), PLUGIN);

      expect(await shell("npx latchflow-plugin build")).toContain("dist/plugin.js");
      const manifest = JSON.parse(await readFile(join(folder.dir, "dist", "latchflow-plugin.json"), "utf8"));
      expect(manifest).toMatchObject({
        name: "latchflow-plugin-shout",
        apiVersion: "latchflow.dev/plugins/v1",
      });

      const tested = JSON.parse(
        await shell(`npx latchflow-plugin test --capability shout@1 --config '{"text":"hey"}'`),
      );
      expect(tested).toMatchObject({ status: "succeeded", outputs: { text: "HEY", n: 1 } });

      const [file, integrity] = (await shell("npx latchflow-plugin pack")).trim().split("\n");
      expect(file).toBe(join(folder.dir, "latchflow-plugin-shout-2.1.0.tgz"));
      expect(integrity).toMatch(/^sha512-/);
    },
    TIMEOUT,
  );

  it(
    "gives authors its types: a plugin that misuses them fails to type-check",
    async () => {
      const tsc = createRequire(join(REPO, "package.json")).resolve("typescript/bin/tsc");
      const config = {
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        include: ["src"],
      };
      await writeFile(join(folder.dir, "tsconfig.json"), JSON.stringify(config));
      const check = () =>
        promisify(execFile)(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: folder.dir, env }).then(
          () => "",
          (err: { stdout: string }) => err.stdout,
        );
      expect(await check()).toBe("");
      await writeFile(
        join(folder.dir, "src", "index.ts"),
        PLUGIN.replace('kind: "action"', 'kind: "job"').replace("host.kv.get", "host.kv.fetch"),
      );
      const errors = await check();
      expect(errors).toContain("src/index.ts");
      expect(errors).toMatch(/"job"/);
      expect(errors).toMatch(/fetch/);
    },
    TIMEOUT,
  );
});
