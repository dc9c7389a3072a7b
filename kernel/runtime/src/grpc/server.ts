import {
  type ChannelOptions,
  type Deadline,
  type Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type StatusObject,
  type sendUnaryData,
  status,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { healthV1 } from "@latchflow/proto/health";
import { ulid } from "ulid";
import type { RequestContext } from "../context.js";
import { ErrorCode, isLatchflowError, LatchflowError, toLatchflowError } from "../errors.js";
import { type Logger, withLogContext } from "../logger.js";
import { grpcServerCallDurationSeconds, grpcServerCallsTotal } from "../metrics.js";
import { extractTraceContext, SpanKind, withSpan } from "../tracing.js";
import { HealthImpl, HealthStatus } from "./health.js";
import { MESSAGE_LIMITS } from "./message-limits.js";
import { contextFromMetadata, errorToTrailers, MetadataKey } from "./metadata.js";
import type { MethodShape, ServiceImpl, ServiceShape } from "./types.js";

export interface GrpcServerOptions {
  logger: Logger;
  /** passed to grpc-js (e.g. `grpc.max_receive_message_length`) */
  channelOptions?: ChannelOptions;
}

export interface GrpcServer {
  /**
   * Registers a service: `definition` is the generated `<Name>ServiceService`, `impl` one context-aware
   * handler per method (see {@link ServiceImpl}). The service is reported SERVING by the health service.
   */
  add<D extends ServiceShape>(definition: D, impl: ServiceImpl<D>): void;
  /** The standard health service of this server (already registered). */
  readonly health: HealthImpl;
  /** Binds and starts serving; resolves with the bound port (`0` picks a free one). */
  listen(host: string, port: number): Promise<number>;
  /**
   * Graceful stop: flips every health status to NOT_SERVING, keeps serving for `drainMs` (so load balancers
   * and readiness probes notice), ends health watches, then waits up to `graceMs` for calls in flight
   * before forcing the rest closed. Idempotent.
   */
  shutdown(graceMs?: number, drainMs?: number): Promise<void>;
}

/** Full service name of a generated definition, from its first method's path (`/pkg.Service/Method`). */
export function serviceNameOf(definition: ServiceShape): string {
  const first = Object.values(definition)[0];
  const match = first ? /^\/([^/]+)\//.exec(first.path) : null;
  if (!match?.[1]) throw new Error("Not a gRPC service definition");
  return match[1];
}

/** A gRPC server whose handlers receive a validated RequestContext and whose errors follow the one table. */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const logger = options.logger.child({ component: "grpc-server" });
  const server = new Server({ ...MESSAGE_LIMITS, ...options.channelOptions });
  const health = new HealthImpl();
  server.addService(healthV1.HealthService, health.handlers);
  let stopping: Promise<void> | undefined;

  return {
    health,
    add(definition, impl) {
      const raw: UntypedServiceImplementation = {};
      for (const [name, method] of Object.entries(definition)) {
        const handler = impl[name] as unknown as LooseHandler | undefined;
        raw[name] = wrapMethod(method, handler, logger);
      }
      server.addService(definition as unknown as ServiceDefinition, raw);
      health.setStatus(serviceNameOf(definition), HealthStatus.Serving);
    },
    listen(host, port) {
      const address = host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) => {
          if (err)
            reject(new LatchflowError(ErrorCode.Unavailable, "Cannot bind the gRPC server", { cause: err }));
          else {
            logger.info({ host, port: bound }, "grpc server listening");
            resolve(bound);
          }
        });
      });
    },
    shutdown(graceMs = 5_000, drainMs = 0) {
      stopping ??= (async () => {
        health.shutdown();
        if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
        health.endWatches();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            logger.warn({ graceMs }, "grpc server forced shutdown");
            server.forceShutdown();
            resolve();
          }, graceMs);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        logger.info("grpc server stopped");
      })();
      return stopping;
    },
  };
}

type LooseHandler = (callOrRequest: unknown, ctx: RequestContext) => Promise<unknown>;
type AnyCall = ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>;
type AnyStream = ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>;

function wrapMethod(
  method: MethodShape,
  handler: LooseHandler | undefined,
  logger: Logger,
): UntypedHandleCall {
  const path = method.path;
  if (!method.responseStream) {
    // unary and client-streaming: the handler's result is the one response
    return (call: AnyCall, callback: sendUnaryData<unknown>) => {
      const started = performance.now();
      const ctx = readContext(call);
      const input = method.requestStream ? call : (call as ServerUnaryCall<unknown, unknown>).request;
      const result = observed(path, call.metadata, ctx, () => invoke(handler, input, ctx));
      result.then(
        (response) => {
          logCall(logger, path, started, ctx, undefined, call.cancelled);
          callback(null, response);
        },
        (err: unknown) => {
          const failure = toFailure(err, ctx.requestId);
          logCall(logger, path, started, ctx, failure, call.cancelled);
          callback(failure.status);
        },
      );
    };
  }
  // server-streaming and bidi: the handler writes; resolving ends the stream
  return (call: AnyStream) => {
    const started = performance.now();
    const ctx = readContext(call);
    const result = observed(path, call.metadata, ctx, () => invoke(handler, call, ctx));
    result.then(
      () => {
        logCall(logger, path, started, ctx, undefined, call.cancelled);
        if (!call.writableEnded) call.end();
      },
      (err: unknown) => {
        const failure = toFailure(err, ctx.requestId);
        logCall(logger, path, started, ctx, failure, call.cancelled);
        // grpc-js turns an 'error' event on a server stream into the call's status
        if (!call.writableEnded) call.emit("error", failure.status);
      },
    );
  };
}

/** `/pkg.Service/Method` → its service and method names (metric labels, span names). */
function splitPath(path: string): { service: string; method: string } {
  const [, service = "unknown", method = "unknown"] = /^\/([^/]+)\/([^/]+)$/.exec(path) ?? [];
  return { service, method };
}

/**
 * Runs a call's handler in a server span (continuing the caller's `traceparent`) and a log scope with
 * the call's request id and tenant, so every line the handler logs carries them.
 */
function observed(
  path: string,
  md: Metadata,
  ctx: ContextResult,
  run: () => Promise<unknown>,
): Promise<unknown> {
  const { service, method } = splitPath(path);
  const carrier: Record<string, string> = {};
  for (const key of [MetadataKey.Traceparent, MetadataKey.Tracestate]) {
    const [value] = md.get(key);
    if (typeof value === "string") carrier[key] = value;
  }
  const scope = ctx.ok
    ? { requestId: ctx.requestId, tenant: ctx.value.tenant }
    : { requestId: ctx.requestId };
  return withLogContext(scope, () =>
    withSpan(
      `${service}/${method}`,
      {
        kind: SpanKind.SERVER,
        parent: extractTraceContext(carrier),
        attributes: {
          "rpc.system": "grpc",
          "rpc.service": service,
          "rpc.method": method,
          "latchflow.request_id": ctx.requestId,
        },
      },
      async (span) => {
        try {
          return await run();
        } catch (err) {
          span.setAttribute(
            "latchflow.error_code",
            isLatchflowError(err) ? toLatchflowError(err).code : "internal",
          );
          throw err;
        }
      },
    ),
  );
}

/** Runs the handler once the context is valid; a synchronous throw becomes a rejection. */
function invoke(handler: LooseHandler | undefined, input: unknown, ctx: ContextResult): Promise<unknown> {
  if (!ctx.ok) return Promise.reject(ctx.error);
  if (typeof handler !== "function") {
    return Promise.reject(new LatchflowError(ErrorCode.Unimplemented, "Method not implemented"));
  }
  try {
    return Promise.resolve(handler(input, ctx.value));
  } catch (err) {
    return Promise.reject(err);
  }
}

type ContextResult =
  | { ok: true; value: RequestContext; requestId: string }
  | { ok: false; error: unknown; requestId: string };

function readContext(call: { metadata: Metadata; getDeadline(): Deadline }): ContextResult {
  try {
    const ctx = contextFromMetadata(call.metadata, {
      deadline: deadlineMs(call.getDeadline()),
      fallbackRequestId: ulid,
    });
    return { ok: true, value: ctx, requestId: ctx.requestId };
  } catch (err) {
    return { ok: false, error: err, requestId: ulid() };
  }
}

function deadlineMs(deadline: Deadline): number | undefined {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}

interface Failure {
  error: LatchflowError;
  /** the original error, when it was not a LatchflowError (logged, never sent) */
  unexpected: unknown;
  status: StatusObject;
}

/** Maps anything thrown by a handler through the one error table; unknown errors become a generic INTERNAL. */
function toFailure(err: unknown, requestId: string): Failure {
  const known = isLatchflowError(err);
  const error = known
    ? toLatchflowError(err)
    : new LatchflowError(ErrorCode.Internal, "Internal error", { details: { requestId }, cause: err });
  const status: StatusObject = {
    code: error.grpcStatus,
    details: error.message,
    metadata: errorToTrailers(error, requestId),
  };
  return { error, unexpected: known ? undefined : err, status };
}

function logCall(
  logger: Logger,
  method: string,
  started: number,
  ctx: ContextResult,
  failure: Failure | undefined,
  cancelled: boolean,
): void {
  const seconds = (performance.now() - started) / 1000;
  const durationMs = Math.round(seconds * 1_000_000) / 1000;
  const code = failure ? failure.error.code : cancelled ? "cancelled" : "ok";
  const labels = { ...splitPath(method), code };
  grpcServerCallsTotal.inc(labels);
  grpcServerCallDurationSeconds.observe(labels, seconds);
  const { requestId } = ctx;
  const tenant = ctx.ok ? ctx.value.tenant : undefined;
  if (!failure) {
    logger.debug({ method, code, grpcStatus: status.OK, durationMs, requestId, tenant }, "grpc call");
    return;
  }
  const { error } = failure;
  const fields = { method, code: error.code, grpcStatus: error.grpcStatus, durationMs, requestId, tenant };
  if (error.code === ErrorCode.Internal) {
    // the stack stays here, in the server's log
    logger.error({ ...fields, err: failure.unexpected ?? error }, "grpc call");
  } else if (error.httpStatus >= 500) {
    logger.warn(fields, "grpc call");
  } else {
    logger.info(fields, "grpc call");
  }
}
