// Another audit replica in its own process, for the concurrent append test: opens the audit database from
// the LATCHFLOW_* environment, prints "ready", waits for a line on stdin, then appends the events in the
// JSON file given as the first argument, one per call, printing "started" after the first, then "done".
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { EventEnvelope } from "@latchflow/bus";
import { createLogger, loadConfig } from "@latchflow/runtime";
import { createAuditLog, openAuditDatabase } from "../src/audit-log.js";
import { loadSigner } from "../src/signing.js";

const events = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as EventEnvelope[];
const config = loadConfig();
const logger = createLogger({ level: "silent" });
const db = await openAuditDatabase(config, logger);
const log = createAuditLog({
  db,
  signer: loadSigner(config, logger),
  checkpointEvery: config.audit.checkpointEvery,
});
process.stdout.write("ready\n");
const input = createInterface({ input: process.stdin });
await new Promise((resolve) => input.once("line", resolve));
input.close();
for (const [i, e] of events.entries()) {
  await log.append([e]);
  if (i === 0) process.stdout.write("started\n");
}
await db.close();
process.stdout.write("done\n");
