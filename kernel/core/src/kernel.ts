import { builtinCatalog } from "@latchflow/builtin-plugins";
import { authV1, bundlesV1, pipelinesV1 } from "@latchflow/proto";
import {
  type Config,
  createClient,
  createOutboxRelay,
  type Database,
  databaseTarget,
  type GrpcServer,
  type LatchflowService,
  OutboxMessage,
  type OutboxRelay,
  openDatabase,
  outboxMigration,
  type ServiceDeps,
  ServiceName,
} from "@latchflow/runtime";
import { PipelineRow, PipelineVersionRow, pipelineMigration } from "./pipelines/entities.js";
import { createPipelinesApi } from "./pipelines/pipelines-api.js";
import type { AuthClient, BundlesClient } from "./pipelines/validation.js";

export interface KernelDeps extends ServiceDeps {
  /** where the services live (embedded: filled in as they start, so read at call time) */
  addresses: Config["addresses"];
  now?: () => Date;
}

/**
 * The kernel process: it owns pipelines (this milestone: validated, versioned storage) and, with the rest of
 * the pipelines issue, the orchestrator, durable timers and the plugin host. No domain logic of auth, bundles,
 * storage or audit lives here; it talks to them over gRPC.
 */
export function createKernel(deps: KernelDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Kernel });
  let db: Database | undefined;
  let relay: OutboxRelay | undefined;
  let clients: { bundles: BundlesClient; auth: AuthClient } | undefined;
  const options = { deadlineMs: deps.config.grpc.deadlineMs, logger };
  const lazyClients = () => {
    clients ??= {
      bundles: createClient(bundlesV1.BundlesServiceClient, deps.addresses.bundles, options),
      auth: createClient(authV1.AuthServiceClient, deps.addresses.auth, options),
    };
    return clients;
  };
  return {
    name: ServiceName.Kernel,
    async start(server: GrpcServer) {
      await deps.bus.ping();
      db = await openDatabase(
        databaseTarget(deps.config, ServiceName.Kernel),
        {
          entities: [PipelineRow, PipelineVersionRow, OutboxMessage],
          migrations: [outboxMigration, pipelineMigration],
        },
        logger,
      );
      relay = createOutboxRelay({ db, bus: deps.bus, logger });
      relay.start();
      const catalog = builtinCatalog();
      server.add(
        pipelinesV1.PipelinesServiceService,
        createPipelinesApi({
          db,
          relay,
          catalog: () => catalog,
          clients: {
            get bundles() {
              return lazyClients().bundles;
            },
            get auth() {
              return lazyClients().auth;
            },
          },
          now: deps.now ?? (() => new Date()),
        }),
      );
    },
    async stop() {
      await relay?.stop();
      clients?.bundles.$close();
      clients?.auth.$close();
      await db?.close();
    },
  };
}
