import { type Subscription, subjectFilter } from "@latchflow/bus";
import { auditV1 } from "@latchflow/proto";
import {
  type Database,
  databaseTarget,
  type GrpcServer,
  type LatchflowService,
  openDatabase,
  type ServiceDeps,
  ServiceName,
} from "@latchflow/runtime";
import { createAuditApi } from "./audit-api.js";
import { AuditRecord } from "./entities.js";
import { auditMigrations } from "./migrations.js";
import { recordEvent } from "./recorder.js";

/** Durable consumer name shared by every audit replica (they split the work). */
export const AUDIT_CONSUMER = "audit";

/** The audit service: records every event of every service, append-only, and answers queries. */
export function createAuditService(deps: ServiceDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Audit });
  let db: Database | undefined;
  let subscription: Subscription | undefined;
  return {
    name: ServiceName.Audit,
    async start(server: GrpcServer) {
      const database = await openDatabase(
        databaseTarget(deps.config, ServiceName.Audit),
        { entities: [AuditRecord], migrations: auditMigrations },
        logger,
      );
      db = database;
      subscription = await deps.bus.subscribe(
        { consumer: AUDIT_CONSUMER, filter: subjectFilter({}) },
        async (event) => {
          const outcome = await recordEvent(database, event);
          logger.debug(
            { eventId: event.id, type: event.type, outcome, requestId: event.requestId },
            "event recorded",
          );
        },
      );
      server.add(auditV1.AuditServiceService, createAuditApi(database));
    },
    async stop() {
      await subscription?.stop();
      await db?.close();
    },
  };
}
