import { authV1 } from "@latchflow/proto";
import {
  createMailer,
  type GrpcServer,
  type LatchflowService,
  type Mailer,
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
import { createAuthApi } from "./auth-api.js";
import { type Background, createBackground } from "./background.js";
import { type BootstrapResult, bootstrapOwner } from "./bootstrap.js";
import { AUTH_ENTITIES } from "./entities/index.js";
import { loadKeyedHash } from "./hash-key.js";
import { authMigrations } from "./migrations.js";
import { createRateLimiter } from "./rate-limit.js";

export interface AuthServiceDeps extends ServiceDeps {
  /** Told once, on the first start of an empty database, so the operator can sign in. */
  onBootstrap?: (result: Extract<BootstrapResult, { created: true }>) => void;
  /** Injectable clock (tests move time forward to expire links, codes and sessions). */
  now?: () => Date;
  /** Injectable mailer; by default SMTP from the config. */
  mailer?: Mailer;
  /**
   * Create the owner on the first start of an empty database (default). Without it the database stays
   * empty until the first admin sign-in, whose email becomes the owner.
   */
  bootstrap?: boolean;
}

/** The auth service: users, roles and permissions, recipients, sessions, sign-in flows, tokens, device grants. */
export function createAuthService(deps: AuthServiceDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Auth });
  let db: Database | undefined;
  let relay: OutboxRelay | undefined;
  let mailer: Mailer | undefined;
  let background: Background | undefined;
  return {
    name: ServiceName.Auth,
    async start(server: GrpcServer) {
      const keyedHash = loadKeyedHash(deps.config, logger);
      db = await openDatabase(
        databaseTarget(deps.config, ServiceName.Auth),
        { entities: [...AUTH_ENTITIES, OutboxMessage], migrations: authMigrations },
        logger,
      );
      relay = createOutboxRelay({ db, bus: deps.bus, logger });
      mailer = deps.mailer ?? createMailer(deps.config, logger);
      if (deps.bootstrap ?? true) {
        const result = await bootstrapOwner(db, deps.config.bootstrap, logger);
        if (result.created) deps.onBootstrap?.(result);
      }
      relay.start();
      background = createBackground(logger);
      const auth = {
        db,
        relay,
        limiter: createRateLimiter(db),
        keyedHash,
        mailer,
        background,
        config: deps.config,
        logger,
        now: deps.now ?? (() => new Date()),
      };
      server.add(authV1.AuthServiceService, createAuthApi(auth));
    },
    async stop() {
      await background?.drain();
      await relay?.stop();
      mailer?.close();
      await db?.close();
    },
  };
}
