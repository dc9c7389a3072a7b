import {
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientOptions,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { healthV1 } from "@latchflow/proto/health";
import type { RequestContext } from "../context.js";
import { ErrorCode, errorCodeFromGrpcStatus, LatchflowError } from "../errors.js";
import type { Logger } from "../logger.js";
import { SpanKind, traceHeaders, withSpan } from "../tracing.js";
import { HealthStatus } from "./health.js";
import { MESSAGE_LIMITS } from "./message-limits.js";
import { contextToMetadata, errorFromTrailers, MetadataKey } from "./metadata.js";
import type { RequestOf, ResponseOf, ServiceShape, UnaryMethodName } from "./types.js";

/** A generated client constructor, e.g. `bundlesV1.BundlesServiceClient`. */
export interface ClientConstructor<D extends ServiceShape, C extends Client> {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): C;
  readonly service: D;
  readonly serviceName: string;
}

export interface CreateClientOptions {
  /** default deadline of every call; a call's ctx.deadline can only shorten it */
  deadlineMs: number;
  logger: Logger;
  channelOptions?: ChannelOptions;
}

/** Per-call tuning. */
export interface CallTuning {
  /** overrides the client's default deadline for this call (ctx.deadline still caps it) */
  deadlineMs?: number;
}

/** A unary call: request + caller's context in; response out, or a rejected LatchflowError. */
export type UnaryCall<M> = (
  request: RequestOf<M>,
  ctx: RequestContext,
  tuning?: CallTuning,
) => Promise<ResponseOf<M>>;

/**
 * A promise-returning client: one method per unary RPC of the service, plus `$`-prefixed helpers
 * (proto method names can never contain `$`, so they cannot clash):
 * - `$raw` — the generated grpc-js client, for streaming RPCs;
 * - `$callOptions(ctx)` — metadata + deadline to pass to a `$raw` streaming call;
 * - `$close()` — closes the channel.
 */
export type GrpcClient<D extends ServiceShape, C extends Client> = {
  readonly [K in UnaryMethodName<D>]: UnaryCall<D[K]>;
} & {
  readonly $raw: C;
  $callOptions(ctx: RequestContext, tuning?: CallTuning): { metadata: Metadata; options: CallOptions };
  $close(): void;
};

/**
 * Connects to a Latchflow gRPC service (plaintext; loopback or a private network). Calls carry the
 * request context and the active span's `traceparent` as metadata, get a deadline (the client default,
 * capped by `ctx.deadline`), and fail with a LatchflowError rebuilt from the server's `lf-error-*` trailers
 * or, failing that, from the status. Each unary call is a client span.
 */
export function createClient<D extends ServiceShape, C extends Client>(
  Ctor: ClientConstructor<D, C>,
  address: string,
  options: CreateClientOptions,
): GrpcClient<D, C> {
  // `service` stays the calling service's (from the injected logger); the callee is `rpcService`
  const logger = options.logger.child({ component: "grpc-client", rpcService: Ctor.serviceName });
  const raw = new Ctor(address, credentials.createInsecure(), {
    ...MESSAGE_LIMITS,
    ...options.channelOptions,
  });

  const callOptions = (ctx: RequestContext, tuning?: CallTuning) => {
    const own = Date.now() + (tuning?.deadlineMs ?? options.deadlineMs);
    const deadline = ctx.deadline === undefined ? own : Math.min(own, ctx.deadline);
    const metadata = contextToMetadata(ctx);
    const trace = traceHeaders();
    if (trace.traceparent) metadata.set(MetadataKey.Traceparent, trace.traceparent);
    if (trace.tracestate) metadata.set(MetadataKey.Tracestate, trace.tracestate);
    return { metadata, options: { deadline } satisfies CallOptions };
  };

  const methods: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(Ctor.service)) {
    if (method.requestStream || method.responseStream) continue;
    const rpc = method.path.slice(1);
    const [rpcService = "", rpcMethod = ""] = rpc.split("/");
    const attributes = { "rpc.system": "grpc", "rpc.service": rpcService, "rpc.method": rpcMethod };
    const unary = (request: unknown, ctx: RequestContext, tuning?: CallTuning) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const { metadata, options: callOpts } = callOptions(ctx, tuning);
        raw.makeUnaryRequest(
          method.path,
          method.requestSerialize as (value: unknown) => Buffer,
          method.responseDeserialize,
          request,
          metadata,
          callOpts,
          (err, response) => {
            if (!err) {
              resolve(response);
              return;
            }
            const error = fromServiceError(err);
            const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
            logger.debug(
              {
                method: method.path,
                code: error.code,
                grpcStatus: err.code,
                durationMs,
                requestId: ctx.requestId,
              },
              "grpc call failed",
            );
            reject(error);
          },
        );
      });
    methods[name] = (request: unknown, ctx: RequestContext, tuning?: CallTuning) =>
      withSpan(rpc, { kind: SpanKind.CLIENT, attributes }, (span) =>
        unary(request, ctx, tuning).catch((err: unknown) => {
          if (err instanceof LatchflowError) span.setAttribute("latchflow.error_code", err.code);
          throw err;
        }),
      );
  }

  return Object.assign(methods, {
    $raw: raw,
    $callOptions: callOptions,
    $close: () => raw.close(),
  }) as GrpcClient<D, C>;
}

const TRANSPORT_MESSAGES: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.Unavailable]: "Service unavailable",
  [ErrorCode.DeadlineExceeded]: "Deadline exceeded",
};

/**
 * Turns a failed gRPC status into a LatchflowError: code, message, details and retryability from the
 * `lf-error-*` trailers when the peer sent them; otherwise the code from the status and a generic message
 * (transport text such as addresses stays in `cause`, for logs only).
 */
export function fromServiceError(err: ServiceError): LatchflowError {
  const trailers = errorFromTrailers(err.metadata);
  if (trailers) {
    return new LatchflowError(trailers.code, err.details || trailers.code, {
      details: trailers.details,
      retryable: trailers.retryable,
      cause: err,
    });
  }
  const code = errorCodeFromGrpcStatus(err.code);
  const message = TRANSPORT_MESSAGES[code] ?? `Remote call failed (${status[err.code] ?? err.code})`;
  return new LatchflowError(code, message, { cause: err });
}

/** Outcome of {@link checkHealth}. */
export const HealthCheckResult = {
  ...HealthStatus,
  /** the server answered NOT_FOUND for this service name */
  ServiceUnknown: "SERVICE_UNKNOWN",
  /** no answer (connection refused, timeout) */
  Unreachable: "UNREACHABLE",
} as const;
export type HealthCheckResult = (typeof HealthCheckResult)[keyof typeof HealthCheckResult];

/** One `grpc.health.v1.Health/Check` call, for readiness endpoints. `service` "" = the whole server. */
export function checkHealth(address: string, service = "", timeoutMs = 1_000): Promise<HealthCheckResult> {
  const client = new healthV1.HealthClient(address, credentials.createInsecure());
  return new Promise<HealthCheckResult>((resolve) => {
    client.check({ service }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, response) => {
      if (!err) {
        const serving = response.status === healthV1.HealthCheckResponse_ServingStatus.SERVING;
        resolve(serving ? HealthCheckResult.Serving : HealthCheckResult.NotServing);
      } else if (err.code === status.NOT_FOUND) {
        resolve(HealthCheckResult.ServiceUnknown);
      } else if (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED) {
        resolve(HealthCheckResult.Unreachable);
      } else {
        resolve(HealthCheckResult.NotServing);
      }
    });
  }).finally(() => client.close());
}
