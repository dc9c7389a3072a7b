import type { storageV1 } from "@latchflow/proto";
import type { GrpcClient, Logger } from "@latchflow/runtime";
import type { Database, OutboxRelay } from "@latchflow/runtime/db";

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
  /**
   * share of the archive a grant (or one publish-link use) may serve beyond the archive itself, for ranges
   * fetched twice when resuming; below 1, so a second full transfer never fits (ADR 015)
   */
  resumeAllowance: 0.25,
  /** how often superseded archive versions are checked for release */
  releaseEveryMs: 60_000,
} as const;
