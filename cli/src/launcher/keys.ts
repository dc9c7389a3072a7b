import { parseArgs } from "node:util";
import { createLogger, loadConfig } from "@latchflow/runtime";
import {
  generateMasterKey,
  type KeyCommandResult,
  keysStatus,
  pruneKeys,
  rotateKeys,
} from "@latchflow/storage";

export const KEYS_USAGE = `Usage: latchflow keys <command>

Commands (they open the storage database directly: run them where the storage service runs, with its config):
  status     Show the current master key id and how many blobs each key wraps
  rotate     Re-wrap every data key under the current master key (content is not rewritten).
             With LATCHFLOW_MASTER_KEY: set the new key there and the previous one in
             LATCHFLOW_MASTER_KEYS_OLD (restart the service with both), then run rotate; afterwards
             remove the old key. Without it (embedded key file): generates a new key file, retires the
             old one to <dataDir>/keys/retired/, then re-wraps; restart a running service afterwards.
  prune      Delete retired key files that no blob uses any more (embedded key file only)
  generate   Print a new random master key (base64) for LATCHFLOW_MASTER_KEY

Key material is never printed, except by "generate".`;

function describe(r: KeyCommandResult, out: (line: string) => void): void {
  out(`current master key: ${r.currentKeyId} (${r.source === "env" ? "LATCHFLOW_MASTER_KEY" : "key file"})`);
  for (const k of r.keys) {
    const state = k.keyId === r.currentKeyId ? "current" : k.available ? "old" : "MISSING";
    out(`  ${k.keyId}  ${state.padEnd(7)}  ${k.blobs} blob(s)`);
  }
}

/** `latchflow keys …`; resolves with the exit code. */
export async function keys(
  args: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: {} });
  const [command] = positionals;
  if (command === "generate") {
    out(generateMasterKey());
    return 0;
  }
  if (command !== "status" && command !== "rotate" && command !== "prune") {
    (command ? err : out)(command ? `Unknown keys command "${command}".\n\n${KEYS_USAGE}` : KEYS_USAGE);
    return command ? 2 : 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel === "info" ? "warn" : config.logLevel });
  if (command === "status") {
    describe(await keysStatus(config, logger), out);
    return 0;
  }
  if (command === "prune") {
    const r = await pruneKeys(config, logger);
    if (r.source === "env") {
      out(
        "The master key comes from LATCHFLOW_MASTER_KEY: remove unused keys from LATCHFLOW_MASTER_KEYS_OLD.",
      );
    } else {
      out(
        `removed ${r.removedKeyIds?.length ?? 0} retired key file(s)${r.removedKeyIds?.length ? `: ${r.removedKeyIds.join(", ")}` : ""}`,
      );
    }
    describe(r, out);
    return 0;
  }
  const r = await rotateKeys(config, logger);
  if (r.retiredKeyId) out(`generated a new key file; retired key ${r.retiredKeyId}`);
  out(`re-wrapped ${r.rewrapped} data key(s)`);
  describe(r, out);
  if ((r.remaining ?? 0) > 0) {
    err(
      `${r.remaining} blob(s) are still wrapped by another key (a MISSING key must be added to LATCHFLOW_MASTER_KEYS_OLD)`,
    );
    return 1;
  }
  out(
    r.source === "env"
      ? "Every data key is wrapped by the current key: the old keys can be removed from LATCHFLOW_MASTER_KEYS_OLD."
      : "Every data key is wrapped by the current key: restart the service, then `latchflow keys prune`.",
  );
  return 0;
}
