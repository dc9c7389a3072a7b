import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Launched, launch } from "@latchflow/deploy-local";
import { deleteNatsStream, dropSchemas, uniqueName, waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { http } from "./http.js";

const TOKEN = "distributed-bootstrap-token-0123456789";

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

describe("distributed mode: one OS process per service on Postgres + NATS", () => {
  const name = uniqueName("dist");
  const logDir = mkdtempSync(join(tmpdir(), "lf-dist-logs-"));
  let stack: Launched;

  beforeAll(async () => {
    stack = await launch({
      logDir,
      env: {
        LATCHFLOW_ENV: "test",
        LATCHFLOW_LOG_LEVEL: "info",
        LATCHFLOW_DATABASE_URL: inject("pgUrl"),
        LATCHFLOW_DB_SCHEMA_PREFIX: `${name}_`,
        LATCHFLOW_DB_POOL_MAX: "3",
        LATCHFLOW_NATS_URL: inject("natsUrl"),
        LATCHFLOW_NATS_STREAM: name.toUpperCase(),
        LATCHFLOW_NATS_NAMESPACE: name,
        LATCHFLOW_BOOTSTRAP_TOKEN: TOKEN,
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await dropSchemas(inject("pgUrl"), `${name}_`);
    await deleteNatsStream(inject("natsUrl"), name.toUpperCase());
    rmSync(logDir, { recursive: true, force: true });
  }, 60_000);

  const createBundle = async (bundleName: string) => {
    const res = await http(stack.gatewayUrl, "POST", "/api/v1/bundles", {
      token: TOKEN,
      json: { name: bundleName },
    });
    expect(res.status, res.text).toBe(201);
    return (res.body as { id: string }).id;
  };

  const auditedIds = async () => {
    const res = await http(stack.gatewayUrl, "GET", "/api/v1/audit?type=bundles.bundle.created&limit=200", {
      token: TOKEN,
    });
    expect(res.status, res.text).toBe(200);
    return (res.body as Page<{ subjectIds: { bundleId: string } }>).items.map((r) => r.subjectIds.bundleId);
  };

  it("runs six processes and is ready", async () => {
    for (const s of ["kernel", "auth", "bundles", "storage", "audit", "gateway"] as const) {
      expect(stack.pid(s)).toBeGreaterThan(0);
    }
    const ready = await http(stack.gatewayUrl, "GET", "/readyz");
    expect(ready.status, ready.text).toBe(200);
  });

  it("a bundle created over REST is audited by the separate audit process", async () => {
    const id = await createBundle("before the crash");
    await waitFor(async () => (await auditedIds()).includes(id), {
      timeoutMs: 20_000,
      description: "audit record",
    });
  });

  it("kill -9 audit, create 3 bundles, restart audit: all 3 events appear exactly once", async () => {
    await stack.kill("audit", "SIGKILL");
    const notReady = await http(stack.gatewayUrl, "GET", "/readyz");
    expect(notReady.status).toBe(503);
    const ids = [
      await createBundle("while down 1"),
      await createBundle("while down 2"),
      await createBundle("while down 3"),
    ];
    await stack.restart("audit");
    const audited = await waitFor(
      async () => {
        const all = await auditedIds();
        return ids.every((id) => all.includes(id)) ? all : undefined;
      },
      { timeoutMs: 30_000, description: "the three events audited after the restart" },
    );
    for (const id of ids) expect(audited.filter((x) => x === id)).toHaveLength(1);
    expect(new Set(audited).size).toBe(audited.length);
  });
});
