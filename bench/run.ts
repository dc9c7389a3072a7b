// `pnpm bench`: every benchmark, each printing ratios against a baseline measured in the same run.
import { ensureNats, ensurePostgres } from "@latchflow/testing";
import { benchAudit } from "./audit.js";
import { benchBus } from "./bus.js";
import { benchCli } from "./cli.js";
import { benchDownloads } from "./downloads.js";
import { benchPipelines } from "./pipelines.js";
import { benchPortal } from "./portal.js";
import { benchSlice } from "./slice.js";
import { benchStorage } from "./storage.js";
import { benchVscode } from "./vscode.js";

const pg = await ensurePostgres();
const nats = await ensureNats();
try {
  console.log(`# Latchflow benchmarks (${new Date().toISOString()}, node ${process.version})`);
  await benchBus(nats.url);
  await benchSlice(pg.url, nats.url);
  await benchStorage();
  await benchDownloads();
  await benchPipelines(pg.url, nats.url);
  await benchAudit(pg.url);
  await benchCli();
  await benchPortal();
  await benchVscode();
} finally {
  await nats.stop?.();
  await pg.stop?.();
}
