// `pnpm bench [section ...]`: every benchmark (or only the named sections), each printing ratios against a
// baseline measured in the same run. Sections: bus, slice, storage, downloads, pipelines, sandbox, audit, cli, portal, vscode.
import { ensureNats, ensurePostgres } from "@latchflow/testing";
import { benchAudit } from "./audit.js";
import { benchBus } from "./bus.js";
import { benchCli } from "./cli.js";
import { benchDownloads } from "./downloads.js";
import { benchPipelines } from "./pipelines.js";
import { benchPortal } from "./portal.js";
import { benchSandbox } from "./sandbox.js";
import { benchSlice } from "./slice.js";
import { benchStorage } from "./storage.js";
import { benchVscode } from "./vscode.js";

interface Urls {
  readonly pg: string;
  readonly nats: string;
}

const SECTIONS: Record<string, (urls: Urls) => Promise<void>> = {
  bus: (u) => benchBus(u.nats),
  slice: (u) => benchSlice(u.pg, u.nats),
  storage: () => benchStorage(),
  downloads: () => benchDownloads(),
  pipelines: (u) => benchPipelines(u.pg, u.nats),
  sandbox: () => benchSandbox(),
  audit: (u) => benchAudit(u.pg),
  cli: () => benchCli(),
  portal: () => benchPortal(),
  vscode: () => benchVscode(),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in SECTIONS));
if (unknown.length > 0) {
  console.error(
    `unknown bench section(s): ${unknown.join(", ")}; known: ${Object.keys(SECTIONS).join(", ")}`,
  );
  process.exit(2);
}

const pg = await ensurePostgres();
const nats = await ensureNats();
try {
  console.log(`# Latchflow benchmarks (${new Date().toISOString()}, node ${process.version})`);
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (wanted.length === 0 || wanted.includes(name)) await run({ pg: pg.url, nats: nats.url });
  }
} finally {
  await nats.stop?.();
  await pg.stop?.();
}
