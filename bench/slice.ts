// create-bundle REST round trip, embedded vs distributed; baseline: GET /healthz on the same gateway.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbedded } from "@latchflow/cli";
import { launch } from "@latchflow/deploy-local";
import { createLogger } from "@latchflow/runtime";
import { createTestConfig } from "@latchflow/runtime/testing";
import { deleteNatsStream, dropSchemas, uniqueName } from "@latchflow/testing";
import { printTable, type Summary, summarize, timeEach } from "./stats.js";

const TOKEN = "bench-bootstrap-token-0123456789abcdef";
const N = Number(process.env.BENCH_N ?? 400);
const WARMUP = 50;

async function measure(base: string, label: string): Promise<Summary[]> {
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const post = async (i: number, prefix: string) => {
    const res = await fetch(`${base}/api/v1/bundles`, {
      method: "POST",
      headers,
      body: JSON.stringify({ name: `${prefix}-${i}` }),
    });
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  };
  const health = async () => {
    const res = await fetch(`${base}/healthz`);
    await res.arrayBuffer();
  };
  await timeEach(WARMUP, (i) => post(i, "warm"));
  await timeEach(WARMUP, health);
  const healthz = summarize(`GET /healthz (${label})`, await timeEach(N, health));
  const create = summarize(`POST /api/v1/bundles (${label})`, await timeEach(N, (i) => post(i, "b")));
  return [healthz, create];
}

export async function benchSlice(pgUrl: string, natsUrl: string): Promise<void> {
  const logger = createLogger({ level: "silent" });
  const emb = createTestConfig({
    dialect: "sqlite",
    name: uniqueName("bench"),
    env: { LATCHFLOW_BOOTSTRAP_TOKEN: TOKEN },
  });
  const embedded = await startEmbedded(emb.config, logger, () => {});
  let embeddedRows: Summary[];
  try {
    embeddedRows = await measure(embedded.url!, "embedded: SQLite + in-process bus");
  } finally {
    await embedded.stop();
    emb.cleanup();
  }

  const name = uniqueName("bench_dist");
  const logDir = mkdtempSync(join(tmpdir(), "lf-bench-"));
  const dist = await launch({
    logDir,
    env: {
      LATCHFLOW_LOG_LEVEL: "warn",
      LATCHFLOW_DATABASE_URL: pgUrl,
      LATCHFLOW_DB_SCHEMA_PREFIX: `${name}_`,
      LATCHFLOW_NATS_URL: natsUrl,
      LATCHFLOW_NATS_STREAM: name.toUpperCase(),
      LATCHFLOW_NATS_NAMESPACE: name,
      LATCHFLOW_BOOTSTRAP_TOKEN: TOKEN,
    },
  });
  let distRows: Summary[];
  try {
    distRows = await measure(dist.gatewayUrl, "distributed: 6 processes, Postgres + NATS");
  } finally {
    await dist.stop();
    await dropSchemas(pgUrl, `${name}_`);
    await deleteNatsStream(natsUrl, name.toUpperCase());
    rmSync(logDir, { recursive: true, force: true });
  }
  const baseline = embeddedRows[0]!;
  printTable("create-bundle REST round trip", [...embeddedRows, ...distRows], baseline);
}
