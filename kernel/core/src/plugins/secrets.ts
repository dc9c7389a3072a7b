import type { storageV1 } from "@latchflow/proto";
import {
  type Database,
  type GrpcClient,
  newId,
  type RequestContext,
  systemContext,
} from "@latchflow/runtime";
import { PluginSecretRow } from "./entities.js";
import { secretContext } from "./plugins-api.js";

type StorageClient = GrpcClient<typeof storageV1.StorageServiceService, storageV1.StorageServiceClient>;

/** Plugin secrets: sealed by the storage service with the master key, stored here, opened on use. */
export function createSecrets(deps: { db: Database; clients: { storage: StorageClient } }) {
  return {
    async seal(ctx: RequestContext, context: string, value: string): Promise<string> {
      const res = await deps.clients.storage.sealSecret(
        { plaintext: Buffer.from(value, "utf8"), context },
        ctx,
      );
      return Buffer.from(res.sealed).toString("base64");
    },
    async open(tenant: string, plugin: string, name: string): Promise<string | null> {
      if (typeof name !== "string" || name.length === 0 || name.length > 100) return null;
      const row = await deps.db.em().findOne(PluginSecretRow, { tenant, plugin, name });
      if (!row) return null;
      const res = await deps.clients.storage.openSecret(
        { sealed: Buffer.from(row.sealed, "base64"), context: secretContext(tenant, plugin, name) },
        systemContext("kernel", newId(), tenant),
      );
      return Buffer.from(res.plaintext).toString("utf8");
    },
  };
}
