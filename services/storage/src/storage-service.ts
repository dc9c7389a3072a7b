import { storageV1 } from "@latchflow/proto/storage";
import { type GrpcServer, type LatchflowService, type ServiceDeps, ServiceName } from "@latchflow/runtime";
import {
  createOutboxRelay,
  type Database,
  databaseTarget,
  OutboxMessage,
  type OutboxRelay,
  openDatabase,
} from "@latchflow/runtime/db";
import { Blob } from "./blob-entity.js";
import { createBlobStore } from "./blob-store.js";
import { createCapabilities } from "./byte-plane/capability.js";
import { createBytePlane } from "./byte-plane/server.js";
import { type Keyring, loadKeyring } from "./crypto/keyring.js";
import { type BlobDriver, createDriverFromConfig } from "./drivers/index.js";
import { storageMigrations } from "./migrations.js";
import { createStorageApi } from "./storage-api.js";

export interface StorageServiceDeps extends ServiceDeps {
  /** defaults to the driver named by the config (`LATCHFLOW_BLOB_DRIVER`) */
  driver?: BlobDriver;
  /** defaults to the keyring from the config (`LATCHFLOW_MASTER_KEY`, or the embedded key file) */
  keyring?: Keyring;
  /** port of the HTTP byte plane (ADR 036), on the gRPC host; default `LATCHFLOW_STORAGE_HTTP_PORT` */
  bytePlanePort?: number;
  /** leftovers of interrupted uploads older than this are removed at start; default 1 hour */
  orphanGraceMs?: number;
}

/** Opens the storage database (running its migrations): shared by the service and the key commands. */
export function openStorageDatabase(deps: Pick<ServiceDeps, "config" | "logger">): Promise<Database> {
  return openDatabase(
    databaseTarget(deps.config, ServiceName.Storage),
    { entities: [Blob, OutboxMessage], migrations: storageMigrations },
    deps.logger,
  );
}

/**
 * The storage service: encrypted (envelope encryption, STREAM-chunked AES-256-GCM), deduplicated,
 * reference-counted blobs per tenant on the local filesystem or S3, over `latchflow.storage.v1.StorageService`.
 */
export function createStorageService(deps: StorageServiceDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Storage });
  let db: Database | undefined;
  let relay: OutboxRelay | undefined;
  let driver: BlobDriver | undefined;
  let bytePlane: ReturnType<typeof createBytePlane> | undefined;
  return {
    name: ServiceName.Storage,
    async start(server: GrpcServer) {
      const keyring = deps.keyring ?? loadKeyring(deps.config, logger);
      db = await openStorageDatabase({ ...deps, logger });
      driver = deps.driver ?? (await createDriverFromConfig(deps.config));
      relay = createOutboxRelay({ db, bus: deps.bus, logger });
      const store = createBlobStore({ db, driver, keyring, logger, relay });
      await store.sweepOrphans(deps.orphanGraceMs ?? 3_600_000);
      const missing = (await store.keyUsage()).filter((k) => !k.available);
      if (missing.length > 0) {
        logger.error(
          { keys: missing },
          "some blobs are wrapped by master keys that are not configured: add them to LATCHFLOW_MASTER_KEYS_OLD",
        );
      }
      logger.info(
        { keyId: keyring.current.id, keySource: keyring.source, driver: driver.kind },
        "storage ready",
      );
      const capabilities = createCapabilities(keyring.current);
      bytePlane = createBytePlane({ store, capabilities, logger });
      const port = await bytePlane.listen(
        deps.config.grpc.host,
        deps.bytePlanePort ?? deps.config.storage.bytePlanePort,
      );
      relay.start();
      server.add(
        storageV1.StorageServiceService,
        createStorageApi(store, keyring, { capabilities, port: () => port }),
      );
    },
    async stop() {
      await bytePlane?.close();
      await relay?.stop();
      await db?.close();
      if (!deps.driver) await driver?.close();
    },
  };
}
