import { Writable } from "node:stream";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { bundlesV1, healthV1, storageV1 } from "@latchflow/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestContext } from "../src/context.js";
import { ErrorCode, LatchflowError, notFound } from "../src/errors.js";
import {
  checkHealth,
  createClient,
  createGrpcServer,
  fromServiceError,
  type GrpcServer,
  HealthCheckResult,
  MetadataKey,
  type ServiceImpl,
} from "../src/grpc/index.js";
import { createLogger } from "../src/logger.js";

const BUNDLES = "latchflow.bundles.v1.BundlesService";

/** Captures pino lines so tests can assert what stays server-side. */
function captureLogs() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: "debug", destination }) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type BundlesImpl = ServiceImpl<typeof bundlesV1.BundlesServiceService>;

function fakeBundles(seen: RequestContext[]): BundlesImpl {
  const created = new Date("2024-05-01T10:00:00.123Z");
  const notInThisTest = async (): Promise<never> => {
    throw new LatchflowError(ErrorCode.Unimplemented, "Not in this test");
  };
  const others = Object.fromEntries(
    Object.keys(bundlesV1.BundlesServiceService).map((name) => [name, notInThisTest]),
  ) as Record<keyof BundlesImpl, typeof notInThisTest>;
  return {
    ...others,
    async createBundle(req, ctx) {
      seen.push(ctx);
      return {
        id: "b1",
        tenant: ctx.tenant,
        name: req.name,
        description: req.description ?? "",
        createdAt: created,
        updatedAt: created,
        enabled: true,
        objects: [],
      };
    },
    async getBundle(req) {
      if (req.id === "boom") throw new Error("db password hunter2 leaked at /srv/secret.ts");
      if (req.id === "slow") {
        await sleep(1_000);
        throw new Error("too late anyway");
      }
      throw notFound("Bundle not found", { bundleId: req.id });
    },
    async listBundles() {
      return { bundles: [], page: { nextCursor: "" } };
    },
  };
}

function fakeStorage(): ServiceImpl<typeof storageV1.StorageServiceService> {
  const unimplemented = async (): Promise<never> => {
    throw new LatchflowError(ErrorCode.Unimplemented, "Not in this test");
  };
  return {
    putBlob: unimplemented,
    statBlob: unimplemented,
    deleteBlob: unimplemented,
    addBlobRef: unimplemented,
    rewrapKeys: unimplemented,
    sealSecret: unimplemented,
    openSecret: unimplemented,
    openBlobRead: unimplemented,
    openBlobWrite: unimplemented,
    async getBlob(call, ctx) {
      if (call.request.blobId === "missing")
        throw notFound("Blob not found", { blobId: call.request.blobId });
      call.write({ data: Buffer.from(`hello ${ctx.tenant}`), offset: 0 });
      call.write({ data: Buffer.from("!"), offset: 11 });
    },
  };
}

describe("gRPC server + client", () => {
  const seen: RequestContext[] = [];
  const logs = captureLogs();
  let server: GrpcServer;
  let address: string;
  let bundles: ReturnType<typeof makeBundlesClient>;
  const makeBundlesClient = (addr: string) =>
    createClient(bundlesV1.BundlesServiceClient, addr, { deadlineMs: 5_000, logger: logs.logger });
  const ctx: RequestContext = {
    requestId: "req-123",
    tenant: "acme",
    caller: { kind: "token", id: "tok1", userId: "u1", role: "admin", scopes: ["bundles:read"] },
  };

  beforeAll(async () => {
    server = createGrpcServer({ logger: logs.logger });
    server.add(bundlesV1.BundlesServiceService, fakeBundles(seen));
    server.add(storageV1.StorageServiceService, fakeStorage());
    const port = await server.listen("127.0.0.1", 0);
    expect(port).toBeGreaterThan(0);
    address = `127.0.0.1:${port}`;
    bundles = makeBundlesClient(address);
  });

  afterAll(async () => {
    bundles?.$close();
    await server?.shutdown(1_000);
  });

  it("round-trips a unary call with the request context in the handler", async () => {
    const before = Date.now();
    const bundle = await bundles.createBundle({ name: "family-archive", description: "photos" }, ctx);
    expect(bundle).toEqual({
      id: "b1",
      tenant: "acme",
      name: "family-archive",
      description: "photos",
      enabled: true,
      objects: [],
      archive: undefined,
      createdAt: new Date("2024-05-01T10:00:00.123Z"),
      updatedAt: new Date("2024-05-01T10:00:00.123Z"),
    });
    const got = seen.at(-1);
    expect(got?.requestId).toBe("req-123");
    expect(got?.tenant).toBe("acme");
    expect(got?.caller).toEqual(ctx.caller);
    // the client's default deadline (5 s) reaches the handler
    expect(got?.deadline).toBeGreaterThan(before + 4_000);
    expect(got?.deadline).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(logs.lines.some((l) => l.includes('"requestId":"req-123"') && l.includes("CreateBundle"))).toBe(
      true,
    );
  });

  it("fills a missing request id and tenant with a fresh ULID and the default tenant", async () => {
    await new Promise<void>((resolve, reject) =>
      bundles.$raw.createBundle({ name: "x" }, new Metadata(), (err) => (err ? reject(err) : resolve())),
    );
    const got = seen.at(-1);
    expect(got?.requestId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(got?.tenant).toBe("default");
    expect(got?.caller).toBeUndefined();
  });

  it("delivers a LatchflowError with its code, message, details and retryability", async () => {
    const err = await bundles.getBundle({ id: "nope" }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LatchflowError);
    const e = err as LatchflowError;
    expect(e.code).toBe("not_found");
    expect(e.message).toBe("Bundle not found");
    expect(e.details).toEqual({ bundleId: "nope" });
    expect(e.retryable).toBe(false);
    expect(e.httpStatus).toBe(404);
  });

  it("turns an unknown error into a generic internal error with the request id, logging the stack only server-side", async () => {
    const err = await bundles.getBundle({ id: "boom" }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LatchflowError);
    const e = err as LatchflowError;
    expect(e.code).toBe("internal");
    expect(e.message).toBe("Internal error");
    expect(e.details).toEqual({ requestId: "req-123" });
    const serialized = JSON.stringify({ message: e.message, details: e.details, trailers: e.cause });
    expect(serialized).not.toContain("hunter2");
    expect(serialized).not.toContain("secret.ts");
    const logged = logs.lines.find((l) => l.includes("hunter2"));
    expect(logged).toBeDefined();
    expect(logged).toContain('"level":50');
    expect(logged).toContain('"requestId":"req-123"');
    expect(logged).toContain("stack");
  });

  it("fails with deadline_exceeded when the call outlives its deadline", async () => {
    const started = Date.now();
    const err = await bundles.getBundle({ id: "slow" }, ctx, { deadlineMs: 100 }).catch((e: unknown) => e);
    expect((err as LatchflowError).code).toBe("deadline_exceeded");
    expect((err as LatchflowError).retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("caps the client's default deadline by ctx.deadline", async () => {
    const short: RequestContext = { ...ctx, deadline: Date.now() + 100 };
    const err = await bundles.getBundle({ id: "slow" }, short).catch((e: unknown) => e);
    expect((err as LatchflowError).code).toBe("deadline_exceeded");
  });

  it("rejects malformed context metadata with bad_request before the handler runs", async () => {
    const count = seen.length;
    const cases: Array<[string, string]> = [
      [MetadataKey.Caller, "not json"],
      [MetadataKey.Caller, JSON.stringify({ kind: "god", id: "x" })],
      [MetadataKey.Caller, JSON.stringify({ kind: "user", id: "u1", extra: 1 })],
      [MetadataKey.Tenant, "Not A Tenant"],
    ];
    for (const [key, value] of cases) {
      const md = new Metadata();
      md.set(key, value);
      const err = await new Promise<unknown>((resolve) =>
        bundles.$raw.createBundle({ name: "x" }, md, (e) => resolve(e)),
      );
      const lf = fromServiceError(err as ServiceError);
      expect(lf.code, `${key}=${value}`).toBe("bad_request");
      expect(lf.details).toEqual({ metadata: key });
      expect(lf.message).not.toContain(value);
    }
    expect(seen.length).toBe(count);
  });

  it("serves a server-streaming RPC with context, and maps its errors", async () => {
    const storage = createClient(storageV1.StorageServiceClient, address, {
      deadlineMs: 5_000,
      logger: logs.logger,
    });
    try {
      const { metadata, options } = storage.$callOptions(ctx);
      const chunks: string[] = [];
      for await (const chunk of storage.$raw.getBlob({ blobId: "b" }, metadata, options)) {
        chunks.push((chunk as storageV1.BlobChunk).data.toString());
      }
      expect(chunks.join("")).toBe("hello acme!");

      const failing = storage.$raw.getBlob({ blobId: "missing" }, metadata, options);
      const err = await (async () => {
        try {
          for await (const _ of failing) {
            // drain
          }
        } catch (e) {
          return e;
        }
      })();
      const lf = fromServiceError(err as ServiceError);
      expect(lf.code).toBe("not_found");
      expect(lf.details).toEqual({ blobId: "missing" });
      // unary methods are promisified; streaming ones are only on $raw
      expect("getBlob" in storage).toBe(false);
      expect(typeof storage.statBlob).toBe("function");
    } finally {
      storage.$close();
    }
  });

  it("answers health checks: SERVING, NOT_FOUND for unknown services", async () => {
    expect(await checkHealth(address)).toBe(HealthCheckResult.Serving);
    expect(await checkHealth(address, BUNDLES)).toBe(HealthCheckResult.Serving);
    expect(await checkHealth(address, "no.such.Service")).toBe(HealthCheckResult.ServiceUnknown);
    server.health.setStatus(BUNDLES, "NOT_SERVING");
    expect(await checkHealth(address, BUNDLES)).toBe(HealthCheckResult.NotServing);
    server.health.setStatus(BUNDLES, "SERVING");
  });
});

describe("gRPC failure modes", () => {
  const logger = createLogger({ level: "silent" });

  it("reports an unreachable server as unavailable (retryable)", async () => {
    const probe = createGrpcServer({ logger });
    const port = await probe.listen("127.0.0.1", 0);
    await probe.shutdown(100);
    const address = `127.0.0.1:${port}`;
    const client = createClient(bundlesV1.BundlesServiceClient, address, { deadlineMs: 2_000, logger });
    try {
      const err = await client
        .getBundle({ id: "x" }, { requestId: "r", tenant: "default" })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LatchflowError);
      expect((err as LatchflowError).code).toBe("unavailable");
      expect((err as LatchflowError).retryable).toBe(true);
      expect((err as LatchflowError).message).toBe("Service unavailable");
    } finally {
      client.$close();
    }
    expect(await checkHealth(address)).toBe(HealthCheckResult.Unreachable);
  });

  it("flips health to NOT_SERVING as soon as shutdown begins, and tells watchers", async () => {
    const server = createGrpcServer({ logger });
    server.add(bundlesV1.BundlesServiceService, fakeBundles([]));
    const address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
    const watcher = new healthV1.HealthClient(address, credentials.createInsecure());
    const updates: number[] = [];
    const watch = watcher.watch({ service: BUNDLES });
    watch.on("data", (r: healthV1.HealthCheckResponse) => updates.push(r.status));
    const ended = new Promise<void>((resolve) => {
      watch.on("end", resolve);
      watch.on("error", () => resolve());
    });
    try {
      await expect.poll(() => updates).toEqual([healthV1.HealthCheckResponse_ServingStatus.SERVING]);

      const stopping = server.shutdown(2_000, 300);
      expect(await checkHealth(address)).toBe(HealthCheckResult.NotServing);
      expect(await checkHealth(address, BUNDLES)).toBe(HealthCheckResult.NotServing);
      server.health.setStatus(BUNDLES, "SERVING"); // ignored once shutting down
      expect(await checkHealth(address, BUNDLES)).toBe(HealthCheckResult.NotServing);
      await stopping;
      await ended;
      expect(updates).toEqual([
        healthV1.HealthCheckResponse_ServingStatus.SERVING,
        healthV1.HealthCheckResponse_ServingStatus.NOT_SERVING,
      ]);
      expect(await checkHealth(address)).toBe(HealthCheckResult.Unreachable);
    } finally {
      watcher.close();
    }
  });
});
