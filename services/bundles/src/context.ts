import { createEvent, type EventPayload, type EventType } from "@latchflow/bus";
import type { storageV1 } from "@latchflow/proto";
import {
  actorOf,
  type Database,
  type EntityManager,
  enqueueEvent,
  type GrpcClient,
  type Logger,
  type OutboxRelay,
  type RequestContext,
} from "@latchflow/runtime";

export type StorageClient = GrpcClient<
  typeof storageV1.StorageServiceService,
  storageV1.StorageServiceClient
>;

/** Everything the bundles API modules share. */
export interface BundlesContext {
  db: Database;
  relay: OutboxRelay;
  storage: StorageClient;
  logger: Logger;
  now: () => Date;
}

export const SETTINGS = {
  /** how long a download grant (GET /dl/{token}) stays usable, including resumes */
  grantTtlMs: 60 * 60_000,
  /** how often superseded archive versions are checked for release */
  releaseEveryMs: 60_000,
} as const;

/** Adds an event to the outbox of the current transaction. */
export function emit<T extends EventType>(
  em: EntityManager,
  ctx: RequestContext,
  type: T,
  subjectIds: Record<string, string>,
  data: EventPayload<T>,
): void {
  enqueueEvent(
    em,
    createEvent({
      type,
      tenant: ctx.tenant,
      actor: actorOf(ctx),
      subjectIds,
      requestId: ctx.requestId,
      data,
    }),
  );
}

/** A Date as the database stores it (SQLite: epoch ms; Postgres: timestamptz), for raw SQL parameters. */
export function sqlDate(db: Database, d: Date): Date | number {
  return db.dialect === "sqlite" ? d.getTime() : d;
}

/** A table name qualified with the service's schema (Postgres) for raw SQL. */
export function sqlTable(db: Database, table: string): string {
  const schema = db.orm.config.get("schema");
  return schema ? `"${schema}"."${table}"` : `"${table}"`;
}
