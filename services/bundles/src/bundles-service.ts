import { bundlesV1, storageV1 } from "@latchflow/proto";
import {
  createClient,
  type GrpcServer,
  type LatchflowService,
  type ServiceDeps,
  ServiceName,
} from "@latchflow/runtime";
import {
  createOutboxRelay,
  type Database,
  databaseTarget,
  OutboxMessage,
  type OutboxRelay,
  openDatabase,
} from "@latchflow/runtime/db";
import { createAssignmentsApi } from "./api/assignments.js";
import { createBundlesApi } from "./api/bundles.js";
import { createDownloadsApi } from "./api/downloads.js";
import { createExportApi } from "./api/export-archive.js";
import { createFilesApi } from "./api/files.js";
import { createLinksApi } from "./api/links.js";
import { createArchiveApi } from "./api/open-archive.js";
import { createStatsApi } from "./api/stats.js";
import { type BundlesContext, SETTINGS, type StorageClient } from "./context.js";
import { BUNDLES_ENTITIES } from "./entities/index.js";
import { bundlesMigrations } from "./migrations.js";
import { releaseVersions } from "./versions.js";

export interface BundlesServiceDeps extends ServiceDeps {
  /** host:port of the storage service (its blob references are taken and dropped from here) */
  storageAddress: string;
  /** injectable clock (tests move time forward) */
  now?: () => Date;
}

/** The bundles service: files, bundles and their archive versions, assignments, downloads, publish links. */
export function createBundlesService(deps: BundlesServiceDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Bundles });
  let db: Database | undefined;
  let relay: OutboxRelay | undefined;
  let storage: StorageClient | undefined;
  let gc: NodeJS.Timeout | undefined;
  return {
    name: ServiceName.Bundles,
    async start(server: GrpcServer) {
      db = await openDatabase(
        databaseTarget(deps.config, ServiceName.Bundles),
        { entities: [...BUNDLES_ENTITIES, OutboxMessage], migrations: bundlesMigrations },
        logger,
      );
      relay = createOutboxRelay({ db, bus: deps.bus, logger });
      relay.start();
      storage = createClient(storageV1.StorageServiceClient, deps.storageAddress, {
        deadlineMs: deps.config.grpc.deadlineMs,
        logger,
      });
      const auth: BundlesContext = { db, relay, storage, logger, now: deps.now ?? (() => new Date()) };
      server.add(bundlesV1.BundlesServiceService, {
        ...createBundlesApi(auth),
        ...createFilesApi(auth),
        ...createAssignmentsApi(auth),
        ...createDownloadsApi(auth),
        ...createArchiveApi(auth),
        ...createExportApi(auth),
        ...createLinksApi(auth),
        ...createStatsApi(auth),
      });
      const sweep = () => {
        releaseVersions(auth).catch((err: unknown) =>
          logger.warn({ err: (err as Error).message }, "version release failed"),
        );
        gc = setTimeout(sweep, SETTINGS.releaseEveryMs);
        gc.unref();
      };
      gc = setTimeout(sweep, SETTINGS.releaseEveryMs);
      gc.unref();
    },
    async stop() {
      clearTimeout(gc);
      await relay?.stop();
      storage?.$close();
      await db?.close();
    },
  };
}
