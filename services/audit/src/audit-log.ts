import type { EventEnvelope } from "@latchflow/bus";
import { type Config, type Logger, ServiceName } from "@latchflow/runtime";
import { type Database, databaseTarget, openDatabase } from "@latchflow/runtime/db";
import { type AppendResult, appendEvents, type ChainDeps } from "./append.js";
import { GENESIS_HASH } from "./canonical.js";
import { checkpointsUpTo, createCheckpoint, listCheckpoints } from "./checkpoints.js";
import { AuditCheckpoint, AuditRecord, ChainHead } from "./entities.js";
import { chainLegacyRecords, LegacyAuditRecord } from "./legacy.js";
import { auditMigrations } from "./migrations.js";
import { labelsFor, resolveNames } from "./names.js";
import { type AuditFilter, listRecords, recordBatches } from "./query.js";
import type { AuditPublicKey, CheckpointSigner } from "./signing.js";
import { type VerifyResult, verifyChain } from "./verify.js";

/** The audit log of every tenant: appends, queries, verification and checkpoints over one database. */
export interface AuditLog {
  readonly db: Database;
  /** the key that verifies this log's checkpoints */
  readonly publicKey: AuditPublicKey;
  /** appends events to their tenants' chains (idempotent on the event id) */
  append(events: readonly EventEnvelope[]): Promise<AppendResult>;
  /** one page newest first; the cursor is the last seq */
  list(
    tenant: string,
    filter: AuditFilter,
    page?: { cursor?: string; limit?: number },
  ): Promise<{ items: AuditRecord[]; nextCursor: string }>;
  /** the filter with its names resolved to ids (a name never given is a validation failure) */
  resolve(tenant: string, filter: AuditFilter): Promise<AuditFilter>;
  /** what the records' actors and subjects are called, keyed `<kind>:<id>` */
  labels(tenant: string, records: readonly AuditRecord[]): Promise<Record<string, string>>;
  /** matching records oldest first up to `upToSeq`, in batches */
  batches(tenant: string, filter: AuditFilter, upToSeq: number): AsyncGenerator<AuditRecord[]>;
  /** the tenant's chain head (seq 0 and the genesis hash when empty) */
  head(tenant: string): Promise<{ seq: number; hash: string }>;
  /** walks the tenant's chain and checks every record and checkpoint */
  verify(tenant: string): Promise<VerifyResult>;
  /** signs a checkpoint of the tenant's head now (or returns the existing one) */
  checkpoint(tenant: string): Promise<{ checkpoint: AuditCheckpoint; created: boolean }>;
  checkpoints(
    tenant: string,
    page?: { cursor?: string; limit?: number },
  ): Promise<{ items: AuditCheckpoint[]; nextCursor: string }>;
  checkpointsUpTo(tenant: string, seq: number): Promise<AuditCheckpoint[]>;
  /** tenants that have a chain */
  tenants(): Promise<string[]>;
  /** moves records of the pre-chain table into the chain (at start) */
  chainLegacy(): Promise<number>;
}

export interface AuditLogOptions {
  db: Database;
  signer: CheckpointSigner;
  /** a signed checkpoint every this many records of a tenant */
  checkpointEvery: number;
  now?: () => Date;
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { db, signer } = options;
  const now = options.now ?? (() => new Date());
  const deps: ChainDeps = { db, signer, checkpointEvery: options.checkpointEvery, now };
  const head = async (tenant: string) => {
    const row = await db.em().findOne(ChainHead, { tenant });
    return { seq: Number(row?.seq ?? 0), hash: row?.hash ?? GENESIS_HASH };
  };
  return {
    db,
    publicKey: signer.publicKey,
    append: (events) => appendEvents(deps, events),
    list: (tenant, filter, page = {}) => listRecords(db, tenant, filter, page),
    resolve: (tenant, filter) => resolveNames(db, tenant, filter),
    labels: (tenant, records) => labelsFor(db, tenant, records),
    batches: (tenant, filter, upToSeq) => recordBatches(db, tenant, filter, upToSeq),
    head,
    verify: (tenant) => verifyChain(db, tenant, signer.publicKey, options.checkpointEvery),
    checkpoint: (tenant) => createCheckpoint(db, signer, tenant, now()),
    checkpoints: (tenant, page = {}) => listCheckpoints(db, tenant, page),
    checkpointsUpTo: (tenant, seq) => checkpointsUpTo(db, tenant, seq),
    tenants: async () =>
      (await db.em().find(ChainHead, {}, { orderBy: { tenant: "asc" }, fields: ["tenant"] })).map(
        (h) => h.tenant,
      ),
    chainLegacy: () => chainLegacyRecords(deps),
  };
}

/** Opens the audit database (migrating it). */
export function openAuditDatabase(config: Config, logger: Logger): Promise<Database> {
  return openDatabase(
    databaseTarget(config, ServiceName.Audit),
    { entities: [AuditRecord, ChainHead, AuditCheckpoint, LegacyAuditRecord], migrations: auditMigrations },
    logger,
  );
}
