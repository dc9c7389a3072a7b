// Latchflow runs on Node.js 24 LTS, and 22.17+ on the 22 line (ADR 016). On any other Node the README's
// commands stop at once with one line naming the Node needed — not a compiler error halfway through the
// install. The refusals run under an old Node: $LATCHFLOW_OLD_NODE, else the first `node` below 22 found on
// PATH or in /usr/bin, /usr/local/bin (.ci/run sets it to the machine's own Node 20).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const REFUSAL =
  /^Latchflow needs Node\.js 24 LTS \(or 22\.17\+ on the 22 line\); this is Node \d+\.\d+\.\d+\.\n$/;

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

const oldNode = findOldNode();

describe.skipIf(!oldNode)(`on an old Node (${oldNode ?? "none found"})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "lf-old-node-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("`latchflow start` (README command 1's start) stops at once with one line naming the Node needed", () => {
    const data = join(dataDir, ".latchflow");
    const r = spawnSync(oldNode!, ["cli/bin/latchflow.mjs", "start"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, LATCHFLOW_DATA_DIR: data, LATCHFLOW_PORT: "0" },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(REFUSAL);
    expect(r.stdout).toBe("");
    expect(existsSync(data)).toBe(false); // stopped before anything started
  });

  it("`pnpm install` (README commands 1 and 2) is refused by .pnpmfile.cjs, which pnpm runs before resolving or building", () => {
    const r = spawnSync(oldNode!, [".pnpmfile.cjs"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(REFUSAL);
  });
});

it("this test run's Node is a supported one: the check passes silently", () => {
  const r = spawnSync(process.execPath, ["cli/bin/check-node.cjs"], { cwd: ROOT, encoding: "utf8" });
  expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({
    status: 0,
    stderr: "",
    stdout: "",
  });
});
