import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { createInProcessBus, type EventBus } from "@latchflow/bus";
import { storageV1 } from "@latchflow/proto";
import {
  createClient,
  createGrpcServer,
  createLogger,
  fromServiceError,
  type GrpcClient,
  type LatchflowService,
  type RequestContext,
} from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { createTestConfig, type TestConfig, type TestDialect } from "@latchflow/runtime/testing";
import { dropSchemas, type StartedS3, startS3rver, uniqueName } from "@latchflow/testing";
import { generateMasterKey } from "../src/crypto/keyring.js";
import { type BlobDriver, createDriverFromConfig } from "../src/drivers/index.js";
import { createStorageService, openStorageDatabase } from "../src/storage-service.js";

type ServiceError = Parameters<typeof fromServiceError>[0];

export const logger = createLogger({ level: "silent" });
export const ctx = (tenant = "default"): RequestContext => ({ requestId: "test", tenant });

export type StorageClient = GrpcClient<
  typeof storageV1.StorageServiceService,
  storageV1.StorageServiceClient
>;
export type DriverKind = "fs" | "s3";

/** Every combination the persistence tests run on. */
export const BACKENDS: { dialect: TestDialect; driver: DriverKind }[] = [
  { dialect: "sqlite", driver: "fs" },
  { dialect: "postgres", driver: "fs" },
  { dialect: "sqlite", driver: "s3" },
  { dialect: "postgres", driver: "s3" },
];

/** One test file's storage backend: a config (temp data dir, schema prefix, maybe s3rver) and cleanup. */
export interface Backend {
  tc: TestConfig;
  name: string;
  s3?: StartedS3;
  /** a driver over the same storage as the service, for inspecting and tampering with objects */
  driver: BlobDriver;
  /** the storage database, for inspecting rows */
  db(): Promise<Database>;
  /** a config for the same data with other variables (e.g. another master key) */
  withEnv(env: Record<string, string>): TestConfig;
  cleanup(): Promise<void>;
}

export async function createBackend(
  dialect: TestDialect,
  driver: DriverKind,
  pgUrl: string,
  env: Record<string, string> = {},
): Promise<Backend> {
  const name = uniqueName("storage");
  const s3 = driver === "s3" ? await startS3rver("blobs") : undefined;
  const baseEnv = { LATCHFLOW_MASTER_KEY: generateMasterKey(), ...(s3?.env ?? {}), ...env };
  const tc = createTestConfig({ dialect, name, pgUrl, env: baseEnv });
  const configs: TestConfig[] = [];
  const inspector = await createDriverFromConfig(tc.config);
  let db: Database | undefined;
  return {
    tc,
    name,
    ...(s3 ? { s3 } : {}),
    driver: inspector,
    db: async () => {
      db ??= await openStorageDatabase({ config: tc.config, logger });
      return db;
    },
    withEnv(extra) {
      // same data dir and schema prefix, other variables
      const next = createTestConfig({ dialect, name, pgUrl, env: { ...baseEnv, ...extra } });
      next.cleanup();
      const same: TestConfig = {
        ...next,
        config: { ...next.config, dataDir: tc.config.dataDir },
        cleanup: () => {},
      };
      configs.push(same);
      return same;
    },
    async cleanup() {
      await db?.close();
      await inspector.close();
      await s3?.stop();
      if (dialect === "postgres") await dropSchemas(pgUrl, `${name}_`);
      tc.cleanup();
    },
  };
}

export interface RunningStorage {
  client: StorageClient;
  port: number;
  bus: EventBus;
  stop(): Promise<void>;
}

export async function startStorage(
  tc: TestConfig,
  options: { orphanGraceMs?: number; bus?: EventBus } = {},
): Promise<RunningStorage> {
  const bus = options.bus ?? createInProcessBus({});
  const service: LatchflowService = createStorageService({
    config: tc.config,
    bus,
    logger,
    ...(options.orphanGraceMs === undefined ? {} : { orphanGraceMs: options.orphanGraceMs }),
  });
  const server = createGrpcServer({ logger });
  await service.start(server);
  const port = await server.listen("127.0.0.1", 0);
  const client: StorageClient = createClient(storageV1.StorageServiceClient, `127.0.0.1:${port}`, {
    deadlineMs: 60_000,
    logger,
  });
  return {
    client,
    port,
    bus,
    stop: async () => {
      client.$close();
      await server.shutdown(1000);
      await service.stop();
      if (!options.bus) await bus.close();
    },
  };
}

const MESSAGE = 64 * 1024;

/** Splits buffers into ≤ 64 KiB messages. */
async function* messages(source: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const data of source) {
    for (let i = 0; i < data.length; i += MESSAGE) yield data.subarray(i, i + MESSAGE);
  }
}

export interface PutOptions {
  expectedSize?: number;
  tenant?: string;
  /** called after each message written; may cancel the call */
  onWrite?: (written: number, cancel: () => void) => void;
}

/** PutBlob over the raw client stream, respecting backpressure. */
export async function putBlob(
  client: StorageClient,
  data: Buffer | AsyncIterable<Buffer> | Iterable<Buffer>,
  options: PutOptions = {},
): Promise<storageV1.BlobInfo> {
  const { metadata, options: callOptions } = client.$callOptions(ctx(options.tenant), {
    deadlineMs: 120_000,
  });
  let settle!: { resolve: (v: storageV1.BlobInfo) => void; reject: (e: unknown) => void };
  const result = new Promise<storageV1.BlobInfo>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const call = client.$raw.putBlob(metadata, callOptions, (err, res) => {
    if (err) settle.reject(fromServiceError(err as ServiceError));
    else settle.resolve(res);
  });
  let cancelled = false;
  let settled = false;
  const done = result.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const cancel = () => {
    cancelled = true;
    call.cancel();
  };
  try {
    call.write({
      part: {
        $case: "header",
        header: options.expectedSize === undefined ? {} : { expectedSize: options.expectedSize },
      },
    });
    let written = 0;
    for await (const chunk of messages(Buffer.isBuffer(data) ? [data] : data)) {
      if (cancelled || settled) break;
      const ok = call.write({ part: { $case: "chunk", chunk } });
      written += chunk.length;
      options.onWrite?.(written, cancel);
      if (!ok && !cancelled) await Promise.race([once(call, "drain"), done]);
    }
    if (!cancelled && !settled) call.end();
  } catch (err) {
    call.cancel();
    throw err;
  }
  return result;
}

/** GetBlob, collecting everything received before the stream ended or failed. */
export async function getBlobCollecting(
  client: StorageClient,
  blobId: string,
  range: { offset?: number; length?: number } = {},
  tenant?: string,
): Promise<{ data: Buffer; offsets: number[]; error: (Error & { code?: string }) | undefined }> {
  const { metadata, options } = client.$callOptions(ctx(tenant), { deadlineMs: 120_000 });
  const call = client.$raw.getBlob({ blobId, ...range }, metadata, options);
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  try {
    for await (const chunk of call as AsyncIterable<storageV1.BlobChunk>) {
      offsets.push(chunk.offset);
      parts.push(chunk.data);
    }
    return { data: Buffer.concat(parts), offsets, error: undefined };
  } catch (err) {
    return { data: Buffer.concat(parts), offsets, error: fromServiceError(err as ServiceError) };
  }
}

export async function getBlob(
  client: StorageClient,
  blobId: string,
  range: { offset?: number; length?: number } = {},
  tenant?: string,
): Promise<Buffer> {
  const r = await getBlobCollecting(client, blobId, range, tenant);
  if (r.error) throw r.error;
  return r.data;
}

export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
export { randomBytes };

/** Reads a stored (encrypted) object whole. */
export async function readObject(driver: BlobDriver, key: string): Promise<Buffer> {
  return buffer(await driver.read(key));
}

/** Replaces a stored object's bytes. */
export async function writeObject(driver: BlobDriver, key: string, data: Buffer): Promise<void> {
  await driver.put(key, Readable.from([data]));
}

export async function listObjects(driver: BlobDriver): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of driver.list("")) keys.push(o.key);
  return keys.sort();
}
