import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  integrityOf,
  PluginBuildError,
  publishPlugin,
  readSigningKey,
  verifyTarball,
  writeNewSigningKey,
} from "../src/node.js";
import { COUNTER_PLUGIN, pluginDir } from "./helpers.js";

// The real registry round trip (Verdaccio, plain `npm publish` too) is e2e/test/pipelines/registry-publish.test.ts;
// here a recording stand-in for npm checks what `publish` asks of it.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A plugin folder and an `npm` that records its arguments and the tarball it was given, then exits `code`. */
async function setup(code = 0) {
  const { dir, cleanup } = await pluginDir(COUNTER_PLUGIN);
  cleanups.push(cleanup);
  const npm = join(dir, "fake-npm.sh");
  await writeFile(
    npm,
    `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\ncp "$2" "${dir}/published.tgz"\necho "npm says no" >&2\nexit ${code}\n`,
  );
  await chmod(npm, 0o755);
  const args = async () => (await readFile(join(dir, "args"), "utf8")).trim().split("\n");
  return { dir, npm, args };
}

describe("publishPlugin", () => {
  it("publishes the packed tarball with --tag latest to --registry, returning its name, version and sha512", async () => {
    const { dir, npm, args } = await setup();
    const result = await publishPlugin({ dir, npm, registry: "http://127.0.0.1:4873/", env: {} });
    expect(result).toMatchObject({
      name: "latchflow-plugin-counter",
      version: "1.2.3",
      registry: "http://127.0.0.1:4873/",
    });
    const [command, tarball, ...rest] = await args();
    expect(command).toBe("publish");
    expect(tarball).toMatch(/plugin\.tgz$/);
    expect(rest).toEqual(["--tag", "latest", "--registry", "http://127.0.0.1:4873/"]);
    expect(integrityOf(await readFile(join(dir, "published.tgz")))).toBe(result.integrity);
  });

  it("signs what it publishes when given a key; unsigned without one", async () => {
    const { dir, npm } = await setup();
    await writeNewSigningKey(join(dir, "signing.key"), "Counter Co");
    const key = await readSigningKey(join(dir, "signing.key"));
    await publishPlugin({ dir, npm, registry: "http://127.0.0.1:4873/", env: {}, key });
    expect(verifyTarball(await readFile(join(dir, "published.tgz")))).toMatchObject({ keyId: key.keyId });
    await publishPlugin({ dir, npm, registry: "http://127.0.0.1:4873/", env: {} });
    expect(verifyTarball(await readFile(join(dir, "published.tgz")))).toBeUndefined();
  });

  it("takes LATCHFLOW_PLUGIN_REGISTRY when no --registry is given, and else leaves npm's own config", async () => {
    const { dir, npm, args } = await setup();
    await publishPlugin({
      dir,
      npm,
      tag: "next",
      env: { LATCHFLOW_PLUGIN_REGISTRY: "https://mirror.example/" },
    });
    expect((await args()).slice(2)).toEqual(["--tag", "next", "--registry", "https://mirror.example/"]);
    await publishPlugin({ dir, npm, access: "public", env: {} });
    expect((await args()).slice(2)).toEqual(["--tag", "latest", "--access", "public"]);
  });

  it("refuses a registry that is not an http(s) URL, and reports npm's failure with its output", async () => {
    const ok = await setup();
    await expect(
      publishPlugin({ dir: ok.dir, npm: ok.npm, registry: "file:///tmp", env: {} }),
    ).rejects.toThrow(/http\(s\) URL/);
    const failing = await setup(1);
    const err = await publishPlugin({ dir: failing.dir, npm: failing.npm, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginBuildError);
    expect((err as Error).message).toMatch(/npm publish failed \(exit 1\):\nnpm says no/);
  });
});
