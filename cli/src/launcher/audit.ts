import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  auditPublicKeyPem,
  type ChainBreak,
  checkpointAuditChain,
  parsePublicKeyPem,
  type VerifyResult,
  verifyAuditChains,
  verifyExportFile,
} from "@latchflow/audit";
import { createLogger, DEFAULT_TENANT, loadConfig } from "@latchflow/runtime";

export const AUDIT_USAGE = `Usage: latchflow audit <command> [options]

Commands (without --file they open the audit database directly: run them where the audit service runs, with
its config):
  verify [--tenant <t>]                        Walk each tenant's hash chain (or one) and check every record
                                               and signed checkpoint; exit 1 naming the first broken record
  verify --file <export.ndjson> --public-key <key.pem> [--checkpoint-every <n>]
                                               Verify an NDJSON export (GET /api/v1/audit/export) offline,
                                               against a public key you keep apart from the export; a
                                               checkpoint must sign every n-th record (default: the
                                               configured LATCHFLOW_AUDIT_CHECKPOINT_EVERY)
  checkpoint [--tenant <t>]                    Sign a checkpoint of the chain head now
  public-key                                   Print the public key (PEM) that verifies checkpoints

See docs/adr/011-audit-hash-chain.md.`;

function brokenLine(b: ChainBreak): string {
  return `BROKEN at seq ${b.seq}${b.id ? ` (record ${b.id})` : ""}: ${b.reason}: ${b.message}`;
}

function describe(label: string, r: VerifyResult, out: (line: string) => void): void {
  const anchor =
    r.anchoredSeq > 0
      ? `signed checkpoints verified: ${r.checkpointsVerified} (latest at seq ${r.anchoredSeq})`
      : "no signed checkpoint verified";
  out(
    `${label}: ${r.ok ? "OK" : "BROKEN"}, ${r.checked} record(s) checked, head at seq ${r.headSeq}; ${anchor}`,
  );
  if (r.checkpointsSkipped > 0)
    out(`  ${r.checkpointsSkipped} checkpoint(s) signed by another key were not checked`);
  if (r.firstBroken) out(`  ${brokenLine(r.firstBroken)}`);
  else if (r.headSeq > r.anchoredSeq)
    out(`  records ${r.anchoredSeq + 1}–${r.headSeq} are not yet checkpointed (verified by the chain only)`);
}

/** `latchflow audit …`; resolves with the exit code. */
export async function audit(
  args: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      tenant: { type: "string" },
      file: { type: "string" },
      "public-key": { type: "string" },
      "checkpoint-every": { type: "string" },
    },
  });
  const [command] = positionals;
  if (command !== "verify" && command !== "checkpoint" && command !== "public-key") {
    (command ? err : out)(command ? `Unknown audit command "${command}".\n\n${AUDIT_USAGE}` : AUDIT_USAGE);
    return command ? 2 : 0;
  }
  if (command === "verify" && values.file) {
    if (!values["public-key"]) {
      err(
        `verify --file needs --public-key <key.pem> (from \`latchflow audit public-key\`).\n\n${AUDIT_USAGE}`,
      );
      return 2;
    }
    const every = values["checkpoint-every"];
    const checkpointEvery = every === undefined ? loadConfig().audit.checkpointEvery : Number(every);
    if (!Number.isSafeInteger(checkpointEvery) || checkpointEvery < 1) {
      err(`--checkpoint-every must be a positive whole number.\n\n${AUDIT_USAGE}`);
      return 2;
    }
    const key = parsePublicKeyPem(readFileSync(values["public-key"], "utf8"));
    const r = await verifyExportFile(values.file, key, checkpointEvery);
    describe(`${values.file} (tenant ${r.tenant})`, r, out);
    if (!r.complete)
      err("This export was filtered: only a complete export (no filters) verifies end to end.");
    if (r.anchoredSeq === 0)
      err(
        `No checkpoint in the export is signed by key ${key.keyId}: nothing ties it to that key ` +
          "(sign one with POST /api/v1/audit/checkpoints before exporting).",
      );
    return r.ok && r.complete && r.anchoredSeq > 0 ? 0 : 1;
  }
  const config = loadConfig();
  // stdout carries the command's output (e.g. the PEM): logs go to stderr
  const logger = createLogger({
    level: config.logLevel === "info" ? "warn" : config.logLevel,
    destination: { write: (line: string) => process.stderr.write(line) },
  });
  if (command === "public-key") {
    const k = auditPublicKeyPem(config, logger);
    out(k.pem.trimEnd());
    err(`key id ${k.keyId}`);
    return 0;
  }
  if (command === "checkpoint") {
    const r = await checkpointAuditChain(config, logger, values.tenant ?? DEFAULT_TENANT);
    const c = r.checkpoint;
    out(
      `${r.created ? "signed" : "already signed"}: tenant ${c.tenant} seq ${c.seq} hash ${c.hash} key ${c.keyId} at ${c.signedAt.toISOString()}`,
    );
    return 0;
  }
  const results = await verifyAuditChains(config, logger, values.tenant);
  if (results.length === 0) out("The audit log is empty.");
  for (const { tenant, result } of results) describe(`tenant ${tenant}`, result, out);
  return results.every((r) => r.result.ok) ? 0 : 1;
}
