import type { storageV1 } from "@latchflow/proto";
import { type GrpcClient, newId, type RequestContext, systemContext } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { PluginSecretRow } from "./entities.js";
import { secretContext } from "./plugin-secrets-api.js";

type StorageClient = GrpcClient<typeof storageV1.StorageServiceService, storageV1.StorageServiceClient>;

/**
 * Secrets sealed by the storage service with the master key, stored here as base64, opened on use: plugin
 * secrets, and kernel settings such as the trigger-link key (`sealer`).
 */
export function createSecrets(deps: { db: Database; clients: { storage: StorageClient } }) {
  const seal = async (ctx: RequestContext, context: string, value: string): Promise<string> => {
    const res = await deps.clients.storage.sealSecret(
      { plaintext: Buffer.from(value, "utf8"), context },
      ctx,
    );
    return Buffer.from(res.sealed).toString("base64");
  };
  const unseal = async (context: string, sealed: string, tenant?: string): Promise<string> => {
    const res = await deps.clients.storage.openSecret(
      { sealed: Buffer.from(sealed, "base64"), context },
      systemContext("kernel", newId(), tenant),
    );
    return Buffer.from(res.plaintext).toString("utf8");
  };
  return {
    seal,
    /** kernel-wide values, sealed and opened as the kernel itself */
    sealer: {
      seal: (context: string, value: string) => seal(systemContext("kernel", newId()), context, value),
      open: (context: string, sealed: string) => unseal(context, sealed),
    },
    async open(tenant: string, plugin: string, name: string): Promise<string | null> {
      if (typeof name !== "string" || name.length === 0 || name.length > 100) return null;
      const row = await deps.db.em().findOne(PluginSecretRow, { tenant, plugin, name });
      if (!row) return null;
      return unseal(secretContext(tenant, plugin, name), row.sealed, tenant);
    },
  };
}
