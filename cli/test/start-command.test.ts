import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run, untilUrl } from "./cli-process.js";

describe("the latchflow command", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "lf-cli-"));
  const env = { LATCHFLOW_DATA_DIR: dataDir, LATCHFLOW_PORT: "0" };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("starts embedded, prints the URL and a one-time owner token, and stops cleanly on SIGTERM", async () => {
    const first = run(["start"], env);
    const url = await untilUrl(first);
    const token = /\n\s+(lf_\S+)\n/.exec(first.stdout())?.[1];
    // both apps are served, built by the start when their sources changed (ADR 024, ADR 027)
    for (const app of ["admin", "portal"]) {
      const page = await fetch(`${url}/${app}/`);
      expect(page.status, `${app}: ${await page.clone().text()}`).toBe(200);
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self' 'sha256-");
    }
    expect(first.stdout()).toContain(`  admin app ${url}/admin/ · recipient portal ${url}/portal/`);

    expect(token, first.stdout()).toBeDefined();
    const auth = { authorization: `Bearer ${token}` };
    const created = await fetch(`${url}/api/v1/bundles`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ name: "kept" }),
    });
    expect(created.status, await created.text()).toBe(201);
    first.child.kill("SIGTERM");
    expect(await first.exit).toBe(0);

    // restart on the same data dir: no new token is printed, the old one and the data are still there
    const second = run(["start"], env);
    const url2 = await untilUrl(second);
    expect(second.stdout()).not.toContain("First start");
    const list = await fetch(`${url2}/api/v1/bundles`, { headers: auth });
    expect(((await list.json()) as { items: { name: string }[] }).items.map((b) => b.name)).toEqual(["kept"]);
    second.child.kill("SIGINT");
    expect(await second.exit).toBe(0);
  }, 120_000);

  it("first start of a fresh clone: a data dir that does not exist yet is created (the bus could not open bus.db)", async () => {
    const fresh = run(["start"], { ...env, LATCHFLOW_DATA_DIR: join(dataDir, "fresh", ".latchflow") });
    const url = await untilUrl(fresh);
    const health = await fetch(`${url}/healthz`);
    expect(health.status, await health.text()).toBe(200);
    fresh.child.kill("SIGTERM");
    expect(await fresh.exit).toBe(0);
  }, 120_000);

  it("refuses bad configuration naming the variable, and unknown services", async () => {
    const bad = run(["start"], { ...env, LATCHFLOW_PORT: "eighty" });
    expect(await bad.exit).toBe(1);
    expect(bad.stderr()).toContain("LATCHFLOW_PORT");
    const unknown = run(["start", "--service", "nope"], env);
    expect(await unknown.exit).toBe(1);
    expect(unknown.stderr()).toContain('Unknown service "nope"');
    const backendWithoutNats = run(["start", "--service", "auth"], { ...env, LATCHFLOW_NATS_URL: "" });
    expect(await backendWithoutNats.exit).toBe(1);
    expect(backendWithoutNats.stderr()).toContain("needs NATS (set LATCHFLOW_NATS_URL)");
    const gatewayAlone = run(["start", "--service", "gateway"], env);
    expect(await gatewayAlone.exit).toBe(1);
    expect(gatewayAlone.stderr()).toContain("LATCHFLOW_AUTH_ADDR");
    const usage = run(["frobnicate"], env);
    expect(await usage.exit).toBe(2);
  }, 60_000);
});
