// Latchflow runs on Node.js 24 LTS, and 22.17+ on the 22 line (ADR 016). On any other Node the README's
// commands run on the pinned Node 24, taken from the npm registry into a cache folder (ADR 081), or stop at once
// with one line saying why they cannot. The old-Node cases run under $LATCHFLOW_OLD_NODE, else the first `node`
// below 22 found on PATH or in /usr/bin, /usr/local/bin (.ci/run sets it to the machine's own Node 20).
import { execFile, execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LocalRegistry, startLocalRegistry } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Run, run, untilUrl } from "./cli-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SCRIPT = join(ROOT, "cli/bin/supported-node.cjs");
const supportedNode = createRequire(import.meta.url)(SCRIPT) as {
  PINNED: Record<"24" | "22", string>;
  pinnedLocation(
    line: string,
    root?: string,
  ): { version: string; pkg: string; prefix: string; bin: string; node: string } | Error;
};
const PINNED_24 = supportedNode.PINNED["24"];
const REFUSAL =
  /^Latchflow needs Node\.js 24 LTS \(or 22\.17\+ on the 22 line\); this is Node \d+\.\d+\.\d+\.\n/;

function majorOf(node: string): number {
  try {
    return Number(execFileSync(node, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }));
  } catch {
    return Number.NaN;
  }
}

function findOldNode(): string | undefined {
  const onPath = (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "node"));
  const candidates = [process.env.LATCHFLOW_OLD_NODE, ...onPath, "/usr/bin/node", "/usr/local/bin/node"];
  return candidates.find((c): c is string => !!c && existsSync(c) && majorOf(c) < 22);
}

/**
 * A cache folder (LATCHFLOW_NODE_CACHE) whose pinned Node of `line` is `node`, as a fetch would have left it:
 * { cache, bin } (the folder holding that `node`).
 */
function cacheHolding(line: "24" | "22", node: string): { cache: string; bin: string } {
  const cache = mkdtempSync(join(tmpdir(), "lf-node-cache-"));
  const where = supportedNode.pinnedLocation(line, cache);
  if (where instanceof Error) throw where;
  mkdirSync(where.bin, { recursive: true });
  symlinkSync(node, where.node);
  return { cache, bin: where.bin };
}

async function refused(url: string): Promise<boolean> {
  return fetch(`${url}/healthz`).then(
    () => false,
    () => true,
  );
}

const oldNode = findOldNode();
const testNodeIsPinned = process.versions.node === PINNED_24;

describe.skipIf(!oldNode)(`on an old Node (${oldNode ?? "none found"})`, () => {
  const dir = mkdtempSync(join(tmpdir(), "lf-old-node-"));
  // the pinned Node 24 is this test run's Node (CI runs on it), so nothing is fetched
  const { cache, bin } = testNodeIsPinned ? cacheHolding("24", process.execPath) : { cache: "", bin: "" };
  // servers a failed assertion left running: a detached group is not stopped with this test process
  const started: Run[] = [];
  afterAll(async () => {
    for (const r of started) {
      try {
        process.kill(-r.child.pid!, "SIGKILL"); // the relaunching process and the server
      } catch {
        // the group is gone already
      }
      await r.exit;
    }
    rmSync(dir, { recursive: true, force: true });
    if (cache) rmSync(cache, { recursive: true, force: true });
  });

  it("with the fetch switched off and no Node 24 in the cache, `latchflow start` stops at once with one line and why", () => {
    const data = join(dir, "refused", ".latchflow");
    const r = spawnSync(oldNode!, ["cli/bin/latchflow.mjs", "start"], {
      cwd: ROOT,
      encoding: "utf8",
      env: {
        ...process.env,
        LATCHFLOW_DATA_DIR: data,
        LATCHFLOW_PORT: "0",
        LATCHFLOW_NODE_FETCH: "off",
        LATCHFLOW_NODE_CACHE: join(dir, "empty-cache"),
      },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(REFUSAL);
    expect(r.stderr).toContain(`Could not use Node ${PINNED_24} instead: LATCHFLOW_NODE_FETCH=off.`);
    expect(r.stdout).toBe("");
    expect(existsSync(data)).toBe(false); // stopped before anything started
  });

  it.skipIf(!testNodeIsPinned)(
    "`latchflow start` (README command 1) runs on the pinned Node 24, says so, and stops cleanly on a terminal's Ctrl-C or a SIGTERM to it alone",
    async () => {
      const env = {
        LATCHFLOW_DATA_DIR: join(dir, "started", ".latchflow"),
        LATCHFLOW_PORT: "0",
        LATCHFLOW_NODE_CACHE: cache,
      };
      // its own process group, as a terminal's job: Ctrl-C reaches the relaunching process and the server
      const first = run(["start"], env, { node: oldNode!, detached: true });
      started.push(first);
      const url = await untilUrl(first);
      const health = await fetch(`${url}/healthz`); // the server loaded isolated-vm: not on the old Node
      expect(health.status, await health.text()).toBe(200);
      const oldVersion = execFileSync(oldNode!, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
      expect(first.stderr()).toContain(
        `Node ${oldVersion} is not one Latchflow runs on; running on Node ${PINNED_24} (${bin}).\n`,
      );
      process.kill(-first.child.pid!, "SIGINT");
      expect(await first.exit).toBe(0);
      expect(await refused(url)).toBe(true);

      // a supervisor's SIGTERM to the process it started: passed on to the server
      const second = run(["start"], env, { node: oldNode!, detached: true });
      started.push(second);
      const url2 = await untilUrl(second);
      expect(second.stdout()).not.toContain("First start");
      second.child.kill("SIGTERM");
      expect(await second.exit).toBe(0);
      expect(await refused(url2)).toBe(true);

      // an operator command's exit status comes through
      const usage = run(["frobnicate"], env, { node: oldNode! });
      expect(await usage.exit).toBe(2);
    },
    180_000,
  );

  it.skipIf(!testNodeIsPinned)(
    "`pnpm test`'s wrapper runs its command with the pinned Node first on PATH",
    () => {
      const r = spawnSync(oldNode!, [SCRIPT, "--", "node", "-p", "process.version"], {
        encoding: "utf8",
        env: { ...process.env, LATCHFLOW_NODE_CACHE: cache },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`v${PINNED_24}\n`);
    },
  );

  it("`pnpm install` (README commands 1 and 2) builds nothing that would compile: .pnpmfile.cjs turns isolated-vm's build off and says so", () => {
    const probe =
      "const c = { allowBuilds: { 'isolated-vm': true, esbuild: true }, nodeLinker: 'isolated' };" +
      "process.stdout.write(JSON.stringify(require('./.pnpmfile.cjs').hooks.updateConfig(c)))";
    const r = spawnSync(oldNode!, ["-e", probe], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      allowBuilds: { "isolated-vm": false, esbuild: true },
      nodeLinker: "isolated",
    });
    expect(r.stderr).toMatch(/is not one Latchflow runs on: installing without building isolated-vm;/);
  });
});

describe("on this test run's (supported) Node", () => {
  it("the install's config is left as it is, silently", () => {
    const probe =
      "const c = { allowBuilds: { 'isolated-vm': true } };" +
      "process.stdout.write(String(require('./.pnpmfile.cjs').hooks.updateConfig(c) === c))";
    const r = spawnSync(process.execPath, ["-e", probe], { cwd: ROOT, encoding: "utf8" });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 0,
      stdout: "true",
      stderr: "",
    });
  });

  it("`pnpm test`'s wrapper runs its command on this Node, silently, and passes its exit status on", () => {
    const r = spawnSync(process.execPath, [SCRIPT, "--", "node", "-p", "process.execPath"], {
      encoding: "utf8",
    });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 0,
      stdout: `${process.execPath}\n`,
      stderr: "",
    });
    const failing = spawnSync(process.execPath, [SCRIPT, "--", "node", "-e", "process.exit(7)"]);
    expect(failing.status).toBe(7);
    const usage = spawnSync(process.execPath, [SCRIPT], { encoding: "utf8" });
    expect(usage.status).toBe(2);
  });

  it("--bin (.ci/get-node) names this Node's folder for its own line", () => {
    const line = process.versions.node.split(".")[0] ?? "";
    const r = spawnSync(process.execPath, [SCRIPT, "--bin", line], { encoding: "utf8" });
    expect(r.stdout).toBe(`${dirname(process.execPath)}\n`);
  });
});

// The fetch itself, from a local npm registry holding a stand-in for the Node package (a script that answers
// --version), for the line this test run is not on.
describe("fetching a pinned Node from the npm registry", () => {
  const line = process.versions.node.startsWith("24.") ? "22" : "24";
  const version = supportedNode.PINNED[line];
  const where = supportedNode.pinnedLocation(line);
  const dir = mkdtempSync(join(tmpdir(), "lf-node-fetch-"));
  let registry: LocalRegistry;

  function publish(name: string, answer: string): void {
    const pkg = join(dir, `${name}-${answer}`);
    mkdirSync(join(pkg, "bin"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name, version, bin: { node: "bin/node" } }));
    writeFileSync(join(pkg, "bin", "node"), `#!/bin/sh\necho ${answer}\n`);
    chmodSync(join(pkg, "bin", "node"), 0o755);
    execFileSync("npm", ["publish", "--userconfig", registry.npmrc, "--access", "public"], {
      cwd: pkg,
      stdio: "pipe",
    });
  }

  function fetchBin(cache: string, extra: Record<string, string> = {}) {
    return spawnSync(process.execPath, [SCRIPT, "--bin", line], {
      encoding: "utf8",
      env: { ...process.env, LATCHFLOW_NODE_CACHE: cache, NPM_CONFIG_USERCONFIG: registry.npmrc, ...extra },
    });
  }

  beforeAll(async () => {
    registry = await startLocalRegistry({ uplink: false });
    if (where instanceof Error) throw where;
    publish(where.pkg, `v${version}`);
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes it once into the cache, checks that it runs as that version, then uses the cached one", () => {
    if (where instanceof Error) throw where;
    const cache = join(dir, "cache");
    const first = fetchBin(cache);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toBe(`${join(cache, version, "node_modules", where.pkg, "bin")}\n`);
    expect(first.stderr).toContain(
      `fetching Node ${version} from the npm registry (${where.pkg}@${version}) into ${join(cache, version)}\n`,
    );
    const again = fetchBin(cache, { LATCHFLOW_NODE_FETCH: "off" });
    expect({ status: again.status, stdout: again.stdout, stderr: again.stderr }).toEqual({
      status: 0,
      stdout: first.stdout,
      stderr: "",
    });
  }, 60_000);

  it("refuses a binary that does not run as the pinned version, and a failed fetch, saying which", () => {
    if (where instanceof Error) throw where;
    const wrong = join(dir, "wrong");
    const bin = join(wrong, version, "node_modules", where.pkg, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "node"), "#!/bin/sh\necho v0.0.1\n");
    chmodSync(join(bin, "node"), 0o755);
    const r = fetchBin(wrong);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`${join(bin, "node")} does not run as Node ${version}\n`);

    const unreachable = fetchBin(join(dir, "unreachable"), {
      npm_config_registry: "http://127.0.0.1:9/",
      npm_config_fetch_retries: "0",
    });
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toContain(`npm install ${where.pkg}@${version} failed`);
    expect(readdirSync(join(dir, "unreachable"))).toEqual([]); // nothing half-fetched left behind
  }, 60_000);

  it("two first fetches at once both end with the same whole Node; what interrupted fetches left is replaced or removed", async () => {
    if (where instanceof Error) throw where;
    const cache = join(dir, "race");
    mkdirSync(join(cache, version, "node_modules"), { recursive: true }); // an older fetch, killed midway
    // private folders of killed fetches: one from two hours ago (removed), one of a fetch under way (kept)
    const abandoned = join(cache, `.${version}-abandoned`);
    const underWay = join(cache, `.${version}-under-way`);
    mkdirSync(join(abandoned, "node_modules"), { recursive: true });
    mkdirSync(underWay);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(abandoned, twoHoursAgo, twoHoursAgo);
    const both = await Promise.all(
      [1, 2].map(
        () =>
          new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
            const env = {
              ...process.env,
              LATCHFLOW_NODE_CACHE: cache,
              NPM_CONFIG_USERCONFIG: registry.npmrc,
            };
            execFile(
              process.execPath,
              [SCRIPT, "--bin", line],
              { encoding: "utf8", env },
              (error, stdout, stderr) =>
                resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
            );
          }),
      ),
    );
    const expected = `${join(cache, version, "node_modules", where.pkg, "bin")}\n`;
    for (const r of both)
      expect({ code: r.code, stdout: r.stdout }, r.stderr).toEqual({ code: 0, stdout: expected });
    expect(readdirSync(cache).sort()).toEqual([`.${version}-under-way`, version]); // no other staging folder
    const again = fetchBin(cache, { LATCHFLOW_NODE_FETCH: "off" });
    expect({ status: again.status, stdout: again.stdout }).toEqual({ status: 0, stdout: expected });
  }, 60_000);
});
