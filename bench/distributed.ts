// The distributed stack the benches measure: the local launcher's six processes on Postgres + NATS, under names
// of their own, removed afterwards (schemas, stream, logs and data).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Launched, launch } from "@latchflow/deploy-local";
import { deleteNatsStream, dropSchemas, uniqueName } from "@latchflow/testing";

/**
 * Launches it with the bootstrap token `token` (and `env` on top), runs `fn` with the gateway's URL (and the
 * launched processes), then stops and cleans up.
 */
export async function withDistributed<T>(
  urls: { pg: string; nats: string },
  prefix: string,
  token: string,
  fn: (gatewayUrl: string, launched: Launched) => Promise<T>,
  env: Record<string, string> = {},
): Promise<T> {
  const name = uniqueName(prefix);
  const logDir = mkdtempSync(join(tmpdir(), "lf-bench-"));
  const dist = await launch({
    logDir,
    // the gateway builds the recipient portal first when its sources changed: slow on a loaded machine
    readyTimeoutMs: 180_000,
    env: {
      LATCHFLOW_LOG_LEVEL: "warn",
      LATCHFLOW_DATABASE_URL: urls.pg,
      LATCHFLOW_DB_SCHEMA_PREFIX: `${name}_`,
      LATCHFLOW_NATS_URL: urls.nats,
      LATCHFLOW_NATS_STREAM: name.toUpperCase(),
      LATCHFLOW_NATS_NAMESPACE: name,
      LATCHFLOW_BOOTSTRAP_TOKEN: token,
      LATCHFLOW_DATA_DIR: join(logDir, "data"),
      ...env,
    },
  });
  try {
    return await fn(dist.gatewayUrl, dist);
  } finally {
    await dist.stop();
    await dropSchemas(urls.pg, `${name}_`);
    await deleteNatsStream(urls.nats, name.toUpperCase());
    rmSync(logDir, { recursive: true, force: true });
  }
}
