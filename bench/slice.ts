import { startEmbedded } from "@latchflow/cli";
import { createLogger } from "@latchflow/runtime";
import { createTestConfig } from "@latchflow/runtime/testing";
import { uniqueName } from "@latchflow/testing";
import { withDistributed } from "./distributed.js";
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

  const distRows = await withDistributed({ pg: pgUrl, nats: natsUrl }, "bench_dist", TOKEN, (gatewayUrl) =>
    measure(gatewayUrl, "distributed: 6 processes, Postgres + NATS"),
  );
  const baseline = embeddedRows[0]!;
  printTable("create-bundle REST round trip", [...embeddedRows, ...distRows], baseline);
}
