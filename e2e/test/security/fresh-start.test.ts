import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, untilUrl } from "@latchflow/cli/testing";
import { afterAll, describe, expect, it } from "vitest";
import { http } from "../http.js";
import { notPrivate } from "./file-modes.js";

/** The environment of a fresh shell: nothing of Latchflow's set (but a free port, on a shared machine). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("LATCHFLOW_")));
}

async function startAndCheck(cwd: string, env: Record<string, string>, dataDir: string) {
  const r = run(["start"], { LATCHFLOW_PORT: "0", ...env }, { cwd, baseEnv: cleanEnv() });
  try {
    const url = await untilUrl(r);
    expect(r.stdout()).toContain("First start");
    const health = await http(url, "GET", "/healthz");
    expect(health.status, health.text).toBe(200);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const dbs = readdirSync(dataDir).filter((f) => f.endsWith(".db"));
    expect(dbs).toEqual(
      expect.arrayContaining(["bus.db", "auth.db", "bundles.db", "storage.db", "audit.db"]),
    );
    expect(notPrivate(dataDir)).toEqual([]);
  } finally {
    r.child.kill("SIGTERM");
    expect(await r.exit).toBe(0);
  }
}

describe("fresh start (issue 10 item 0)", () => {
  const roots: string[] = [];
  const emptyDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "lf-fresh-"));
    roots.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  it("the first command of the README does not fail on a fresh clone: `start` in an empty folder creates ./.latchflow (0700, files 0600) and serves /healthz", async () => {
    const cwd = emptyDir();
    const dataDir = join(cwd, ".latchflow");
    expect(existsSync(dataDir)).toBe(false);
    await startAndCheck(cwd, {}, dataDir);
  }, 120_000);

  it("creates a LATCHFLOW_DATA_DIR that does not exist yet, with every missing parent 0700", async () => {
    const cwd = emptyDir();
    const dataDir = join(cwd, "a", "b", "data");
    await startAndCheck(cwd, { LATCHFLOW_DATA_DIR: dataDir }, dataDir);
    expect(notPrivate(join(cwd, "a"))).toEqual([]);
  }, 120_000);
});
