import type { Config, Logger } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { createBlobStore } from "./blob-store.js";
import { loadKeyring, pruneRetiredKeyFiles, rotateKeyFile } from "./crypto/keyring.js";
import { createDriverFromConfig } from "./drivers/index.js";
import type { KeyUsage } from "./key-maintenance.js";
import { openStorageDatabase } from "./storage-service.js";

/** What a `latchflow keys …` command did. Key ids only: never key material. */
export interface KeyCommandResult {
  currentKeyId: string;
  /** where the current key comes from: `LATCHFLOW_MASTER_KEY` or the embedded key file */
  source: "env" | "file";
  keys: KeyUsage[];
  /** rotate: data keys re-wrapped under the current key */
  rewrapped?: number;
  /** rotate: blobs still wrapped by another key (its key is missing, or its row is damaged) */
  remaining?: number;
  failed?: number;
  /** rotate with the key file: the id of the key file that was retired */
  retiredKeyId?: string;
  /** prune: retired key files deleted */
  removedKeyIds?: string[];
}

async function withStore<T>(
  config: Config,
  logger: Logger,
  fn: (store: ReturnType<typeof createBlobStore>, source: "env" | "file", db: Database) => Promise<T>,
): Promise<T> {
  const keyring = loadKeyring(config, logger);
  const db = await openStorageDatabase({ config, logger });
  const driver = await createDriverFromConfig(config);
  try {
    return await fn(createBlobStore({ db, driver, keyring, logger }), keyring.source, db);
  } finally {
    await driver.close();
    await db.close();
  }
}

/** The current key id and how many blobs each key wraps. */
export function keysStatus(config: Config, logger: Logger): Promise<KeyCommandResult> {
  return withStore(config, logger, async (store, source) => {
    const keys = await store.keyUsage();
    return { currentKeyId: keys[0]?.keyId ?? "", source, keys };
  });
}

/**
 * Re-wraps every data key under the current master key, opening the storage database directly (the
 * service may be running or not). With the embedded key file (no `LATCHFLOW_MASTER_KEY`), first generates a
 * new key file and retires the old one to `keys/retired/` (still used to unwrap until `keys prune`).
 */
export async function rotateKeys(config: Config, logger: Logger): Promise<KeyCommandResult> {
  const retired = config.storage.masterKey ? undefined : rotateKeyFile(config.dataDir).retired;
  return withStore(config, logger, async (store, source) => {
    let rewrapped = 0;
    for (;;) {
      const r = await store.rewrapKeys(1000);
      rewrapped += r.rewrapped;
      if (r.rewrapped === 0) {
        return {
          currentKeyId: r.currentKeyId,
          source,
          keys: r.keys,
          rewrapped,
          remaining: r.remaining,
          failed: r.failed,
          ...(retired ? { retiredKeyId: retired.id } : {}),
        };
      }
    }
  });
}

/**
 * Deletes retired key files (embedded key file only) that no blob uses any more. Run it after `rotate`
 * once every process runs with the new key file (restart a running `latchflow start` first).
 */
export function pruneKeys(config: Config, logger: Logger): Promise<KeyCommandResult> {
  return withStore(config, logger, async (store, source) => {
    const keys = await store.keyUsage();
    const inUse = new Set(keys.filter((k) => k.blobs > 0).map((k) => k.keyId));
    const removedKeyIds = source === "file" ? pruneRetiredKeyFiles(config.dataDir, inUse) : [];
    const removed = new Set(removedKeyIds);
    const left = keys.filter((k) => !removed.has(k.keyId));
    return { currentKeyId: keys[0]?.keyId ?? "", source, keys: left, removedKeyIds };
  });
}
