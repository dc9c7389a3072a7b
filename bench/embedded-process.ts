// The embedded server as users start it: `latchflow start` (README command 1's start) as a process of its own,
// on a fresh data dir, removed afterwards. The benches' other embedded figures run the server inside the bench's
// own process; a process of its own is what its memory can be read from.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, untilUrl } from "@latchflow/cli/testing";

/**
 * Starts it with the bootstrap token `token` (and `env` on top of this process's environment), runs `fn` with its
 * URL and pid, then stops it (SIGTERM).
 */
export async function withEmbeddedProcess<T>(
  token: string,
  fn: (url: string, pid: number) => Promise<T>,
  env: Record<string, string> = {},
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), "lf-bench-embedded-"));
  const server = run(["start"], {
    LATCHFLOW_DATA_DIR: join(dataDir, ".latchflow"),
    LATCHFLOW_PORT: "0",
    LATCHFLOW_BOOTSTRAP_TOKEN: token,
    ...env,
  });
  try {
    const url = await untilUrl(server);
    const pid = server.child.pid;
    if (pid === undefined) throw new Error("latchflow start has no pid");
    return await fn(url, pid);
  } finally {
    server.child.kill("SIGTERM");
    await server.exit;
    rmSync(dataDir, { recursive: true, force: true });
  }
}
