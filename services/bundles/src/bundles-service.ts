import { bundlesV1 } from "@latchflow/proto";
import {
  createOutboxRelay,
  type Database,
  databaseTarget,
  type GrpcServer,
  type LatchflowService,
  OutboxMessage,
  type OutboxRelay,
  openDatabase,
  type ServiceDeps,
  ServiceName,
} from "@latchflow/runtime";
import { Bundle } from "./bundle-entity.js";
import { createBundlesApi } from "./bundles-api.js";
import { bundlesMigrations } from "./migrations.js";

/** The bundles service: bundles (files, objects, assignments arrive with the files issue). */
export function createBundlesService(deps: ServiceDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Bundles });
  let db: Database | undefined;
  let relay: OutboxRelay | undefined;
  return {
    name: ServiceName.Bundles,
    async start(server: GrpcServer) {
      db = await openDatabase(
        databaseTarget(deps.config, ServiceName.Bundles),
        { entities: [Bundle, OutboxMessage], migrations: bundlesMigrations },
        logger,
      );
      relay = createOutboxRelay({ db, bus: deps.bus, logger });
      relay.start();
      server.add(bundlesV1.BundlesServiceService, createBundlesApi(db, relay));
    },
    async stop() {
      await relay?.stop();
      await db?.close();
    },
  };
}
