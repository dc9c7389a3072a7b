import type { Config, Logger } from "@latchflow/runtime";
import { type AuditLog, createAuditLog, openAuditDatabase } from "./audit-log.js";
import type { AuditCheckpoint } from "./entities.js";
import { loadSigner } from "./signing.js";
import type { VerifyResult } from "./verify.js";

/** Opens the audit database directly (the service may be running or not) for one operator command. */
async function withLog<T>(config: Config, logger: Logger, fn: (log: AuditLog) => Promise<T>): Promise<T> {
  const signer = loadSigner(config, logger);
  const db = await openAuditDatabase(config, logger);
  try {
    return await fn(createAuditLog({ db, signer, checkpointEvery: config.audit.checkpointEvery }));
  } finally {
    await db.close();
  }
}

/** `latchflow audit verify`: each tenant's chain (or the one given) against the configured signing key. */
export function verifyAuditChains(
  config: Config,
  logger: Logger,
  tenant?: string,
): Promise<{ tenant: string; result: VerifyResult }[]> {
  return withLog(config, logger, async (log) => {
    const tenants = tenant ? [tenant] : await log.tenants();
    const out: { tenant: string; result: VerifyResult }[] = [];
    for (const t of tenants) out.push({ tenant: t, result: await log.verify(t) });
    return out;
  });
}

/** `latchflow audit checkpoint`: signs a checkpoint of the tenant's head now. */
export function checkpointAuditChain(
  config: Config,
  logger: Logger,
  tenant: string,
): Promise<{ checkpoint: AuditCheckpoint; created: boolean }> {
  return withLog(config, logger, (log) => log.checkpoint(tenant));
}

/** `latchflow audit public-key`: the PEM of the key that verifies checkpoints (generating the key file if needed). */
export function auditPublicKeyPem(config: Config, logger: Logger): { keyId: string; pem: string } {
  const { publicKey } = loadSigner(config, logger);
  return { keyId: publicKey.keyId, pem: publicKey.pem };
}
