import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalRegistry, portAnswers, startLocalRegistry } from "../src/index.js";

const run = promisify(execFile);

function npm(args: string[], cwd: string, npmrc: string) {
  return run("npm", args, { cwd, env: { ...process.env, NPM_CONFIG_USERCONFIG: npmrc } });
}

describe("startLocalRegistry (Verdaccio)", () => {
  let registry: LocalRegistry;
  let work: string;

  beforeAll(async () => {
    registry = await startLocalRegistry();
    work = mkdtempSync(join(tmpdir(), "latchflow-registry-test-"));
  });
  afterAll(async () => {
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("accepts `npm publish` of a plugin-named package and serves it with dist.integrity", async () => {
    writeFileSync(
      join(work, "package.json"),
      JSON.stringify({ name: "latchflow-plugin-hello", version: "1.2.3", files: ["index.js"] }),
    );
    writeFileSync(join(work, "index.js"), "export default 1;\n");
    const { stdout } = await npm(["publish", "--registry", registry.url], work, registry.npmrc);
    expect(stdout).toContain("latchflow-plugin-hello@1.2.3");
    const res = await fetch(new URL("latchflow-plugin-hello", registry.url));
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      versions: Record<string, { dist: { integrity: string; tarball: string } }>;
    };
    const dist = doc.versions["1.2.3"]?.dist;
    expect(dist?.integrity).toMatch(/^sha512-/);
    expect(dist?.tarball.startsWith(registry.url)).toBe(true);
    expect(
      existsSync(join(registry.storage, "latchflow-plugin-hello", "latchflow-plugin-hello-1.2.3.tgz")),
    ).toBe(true);
  });

  it("answers 404 for an unknown local package and proxies other names to npmjs", async () => {
    expect((await fetch(new URL("latchflow-plugin-nope", registry.url))).status).toBe(404);
    const proxied = await fetch(new URL("is-number", registry.url));
    expect(proxied.status).toBe(200);
    expect(((await proxied.json()) as { name: string }).name).toBe("is-number");
  });

  it("creates users through the npm adduser API", async () => {
    const token = await registry.addUser("second-user", "second-password");
    const res = await fetch(new URL("-/whoami", registry.url), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await res.json()) as { username: string }).username).toBe("second-user");
  });

  it("stops cleanly: the port closes and the temp storage is removed", async () => {
    const other = await startLocalRegistry({ uplink: false });
    const { port } = new URL(other.url);
    await other.stop();
    await other.stop();
    expect(await portAnswers("127.0.0.1", Number(port))).toBe(false);
    expect(existsSync(other.storage)).toBe(false);
  });
});
