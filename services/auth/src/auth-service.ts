import { authV1 } from "@latchflow/proto";
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
import { createAuthApi } from "./auth-api.js";
import { type BootstrapResult, bootstrapOwner } from "./bootstrap.js";
import { ApiToken, User } from "./entities.js";
import { authMigrations } from "./migrations.js";

export interface AuthServiceDeps extends ServiceDeps {
  /** Told once, on the first start of an empty database, so the operator can sign in. */
  onBootstrap?: (result: Extract<BootstrapResult, { created: true }>) => void;
}

/** The auth service: users and API tokens (magic links, OTP, device flow arrive with the identity issue). */
export function createAuthService(deps: AuthServiceDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Auth });
  let db: Database | undefined;
  let relay: OutboxRelay | undefined;
  return {
    name: ServiceName.Auth,
    async start(server: GrpcServer) {
      db = await openDatabase(
        databaseTarget(deps.config, ServiceName.Auth),
        { entities: [User, ApiToken, OutboxMessage], migrations: authMigrations },
        logger,
      );
      relay = createOutboxRelay({ db, bus: deps.bus, logger });
      const result = await bootstrapOwner(db, deps.config.bootstrap, logger);
      if (result.created) deps.onBootstrap?.(result);
      relay.start();
      server.add(authV1.AuthServiceService, createAuthApi(db));
    },
    async stop() {
      await relay?.stop();
      await db?.close();
    },
  };
}
