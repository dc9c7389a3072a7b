import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient, operations } from "@latchflow/api";
import { type Launched, launch } from "@latchflow/deploy-local";
import { deleteNatsStream, dropSchemas, uniqueName, waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const TOKEN = "distributed-bootstrap-token-0123456789";

describe("distributed mode: one OS process per service on Postgres + NATS", () => {
  const name = uniqueName("dist");
  const logDir = mkdtempSync(join(tmpdir(), "lf-dist-logs-"));
  let stack: Launched;
  let api: Client;

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
    api = createClient({ baseUrl: stack.gatewayUrl, token: TOKEN, validate: operations });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await dropSchemas(inject("pgUrl"), `${name}_`);
    await deleteNatsStream(inject("natsUrl"), name.toUpperCase());
    rmSync(logDir, { recursive: true, force: true });
  }, 60_000);

  const createBundle = async (bundleName: string) =>
    (await api.createBundle({ body: { name: bundleName } })).id;

  const auditedIds = async () => {
    const page = await api.listAuditRecords({ query: { type: "bundles.bundle.created", limit: 200 } });
    return page.items.map((r) => r.subjectIds.bundleId);
  };

  it("runs six processes and is ready", async () => {
    for (const s of ["kernel", "auth", "bundles", "storage", "audit", "gateway"] as const) {
      expect(stack.pid(s)).toBeGreaterThan(0);
    }
    expect(await api.getReadiness()).toMatchObject({ status: "ready" });
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
    const notReady = await api.raw.getReadiness();
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
