import type { Subscription } from "@latchflow/bus";
import { auditV1 } from "@latchflow/proto";
import { type GrpcServer, type LatchflowService, type ServiceDeps, ServiceName } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { createAuditApi } from "./audit-api.js";
import { createAuditLog, openAuditDatabase } from "./audit-log.js";
import { subscribeRecorder } from "./recorder.js";
import { loadSigner } from "./signing.js";

export interface AuditServiceDeps extends ServiceDeps {
  /** the clock of `recordedAt` and checkpoints (tests) */
  now?: () => Date;
}

/**
 * The audit service: records every event of every service in its tenant's hash chain (append-only,
 * idempotent on the event id, serialized per tenant across replicas), signs checkpoints, and answers
 * queries, exports and verification.
 */
export function createAuditService(deps: AuditServiceDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Audit });
  let db: Database | undefined;
  let subscription: Subscription | undefined;
  return {
    name: ServiceName.Audit,
    async start(server: GrpcServer) {
      const signer = loadSigner(deps.config, logger);
      const database = await openAuditDatabase(deps.config, logger);
      db = database;
      const log = createAuditLog({
        db: database,
        signer,
        checkpointEvery: deps.config.audit.checkpointEvery,
        ...(deps.now ? { now: deps.now } : {}),
      });
      const moved = await log.chainLegacy();
      if (moved > 0) logger.info({ moved }, "moved records of the unchained table into the hash chain");
      subscription = await subscribeRecorder(deps.bus, log, logger);
      server.add(auditV1.AuditServiceService, createAuditApi(log));
    },
    async stop() {
      await subscription?.stop();
      await db?.close();
    },
  };
}
