/**
 * Every Prometheus series Latchflow exposes, in one registry per process. Embedded mode serves it all at
 * the gateway's `/metrics`; in the distributed mode each process serves its own (the gateway on its HTTP
 * port, a backend on `LATCHFLOW_METRICS_PORT`). Label values are bounded sets (route templates, codes,
 * event types, plugin names) — never ids, tokens or paths.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Secret } from "./config.js";
import type { Logger } from "./logger.js";

/** The process's registry. */
export const metricsRegistry = new Registry();
const registers = [metricsRegistry];

/** Latency buckets in seconds: 1 ms … 30 s. */
const LATENCY = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Slower things (consumer lag, trigger → first step): 10 ms … 1 h. */
const SLOW = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

// ---- HTTP (gateway) ------------------------------------------------------------------------------

/** Requests answered by the gateway. `route` is the route template (`/api/v1/bundles/:id`), `unmatched` otherwise. */
export const httpRequestsTotal = new Counter({
  name: "latchflow_http_requests_total",
  help: "HTTP requests answered by the gateway",
  labelNames: ["method", "route", "status"] as const,
  registers,
});

export const httpRequestDurationSeconds = new Histogram({
  name: "latchflow_http_request_duration_seconds",
  help: "Time from receiving an HTTP request to its response headers and body being handed over",
  labelNames: ["method", "route", "status"] as const,
  buckets: LATENCY,
  registers,
});

// ---- gRPC (every service's server) ---------------------------------------------------------------

/** `service` is the full proto service name, `method` the RPC name, `code` the Latchflow error code or `ok`. */
export const grpcServerCallsTotal = new Counter({
  name: "latchflow_grpc_server_calls_total",
  help: "gRPC calls handled by this process's servers",
  labelNames: ["service", "method", "code"] as const,
  registers,
});

export const grpcServerCallDurationSeconds = new Histogram({
  name: "latchflow_grpc_server_call_duration_seconds",
  help: "Duration of gRPC calls handled by this process's servers",
  labelNames: ["service", "method", "code"] as const,
  buckets: LATENCY,
  registers,
});

// ---- bus and outbox ------------------------------------------------------------------------------

/** Events this process published; `outcome` is `ok` or `error`. */
export const busPublishedTotal = new Counter({
  name: "latchflow_bus_published_total",
  help: "Events published to the bus by this process",
  labelNames: ["type", "outcome"] as const,
  registers,
});

/** Deliveries to this process's consumers; `outcome` is `ok` (acked) or `error` (will be redelivered or dead-lettered). */
export const busDeliveriesTotal = new Counter({
  name: "latchflow_bus_deliveries_total",
  help: "Event deliveries handled by this process's consumers",
  labelNames: ["consumer", "type", "outcome"] as const,
  registers,
});

/** Time from an event's `occurredAt` to a delivery starting (first and redeliveries). */
export const busConsumerLagSeconds = new Histogram({
  name: "latchflow_bus_consumer_lag_seconds",
  help: "Time between an event occurring and its delivery to a consumer",
  labelNames: ["consumer"] as const,
  buckets: SLOW,
  registers,
});

const backlogSources = new Map<symbol, { service: string; count: () => Promise<number> }>();

/** Unsent outbox rows per service, counted when scraped (the relays register themselves). */
export const outboxBacklog = new Gauge({
  name: "latchflow_outbox_backlog",
  help: "Outbox rows not yet published, per service",
  labelNames: ["service"] as const,
  registers,
  async collect() {
    this.reset();
    const totals = new Map<string, number>();
    await Promise.all(
      [...backlogSources.values()].map(async ({ service, count }) => {
        const n = await count().catch(() => undefined); // a closing database is not worth a failed scrape
        if (n !== undefined) totals.set(service, (totals.get(service) ?? 0) + n);
      }),
    );
    for (const [service, n] of totals) this.set({ service }, n);
  },
});

/** Registers an outbox whose backlog {@link outboxBacklog} reports; returns the unregister function. */
export function registerOutboxBacklog(service: string, count: () => Promise<number>): () => void {
  const key = Symbol(service);
  backlogSources.set(key, { service, count });
  return () => {
    backlogSources.delete(key);
  };
}

// ---- product -------------------------------------------------------------------------------------

/**
 * Downloads through the gateway. `kind`: `grant` (/dl), `link` (/s), `file` (admin file content), `export` (a
 * user exporting a bundle archive).
 * `outcome`: `completed` (whole body sent), `range_completed` (a 206 range sent), `aborted` (client went
 * away), `failed` (broke mid-stream), `denied` (refused before any byte: unknown, expired, used up, 416).
 */
export const downloadsTotal = new Counter({
  name: "latchflow_downloads_total",
  help: "Downloads served by the gateway, by outcome",
  labelNames: ["kind", "outcome"] as const,
  registers,
});

/**
 * Refused authentication or authorization at the gateway. `reason`: `missing_credentials`,
 * `malformed_authorization`, `invalid_credentials`, `csrf`, `rate_limited`, `permission_denied`,
 * `per_resource_grants_only`, `unauthenticated` (sign-in links and codes).
 */
export const authFailuresTotal = new Counter({
  name: "latchflow_auth_failures_total",
  help: "Requests refused for authentication or authorization, by reason",
  labelNames: ["reason"] as const,
  registers,
});

/** Pipeline runs finished, by `outcome` (e.g. `succeeded`, `failed`, `cancelled`). Incremented by the kernel. */
export const pipelineRunsTotal = new Counter({
  name: "latchflow_pipeline_runs_total",
  help: "Pipeline runs finished, by outcome",
  labelNames: ["outcome"] as const,
  registers,
});

/** Pipeline steps finished, by the step's `uses` (plugin capability, e.g. `email@1`) and `outcome`. */
export const pipelineStepsTotal = new Counter({
  name: "latchflow_pipeline_steps_total",
  help: "Pipeline steps finished, by capability and outcome",
  labelNames: ["uses", "outcome"] as const,
  registers,
});

/** Seconds from a trigger firing to its run's first step starting, by `trigger` (the trigger's `uses`). */
export const pipelineTriggerToFirstStepSeconds = new Histogram({
  name: "latchflow_pipeline_trigger_to_first_step_seconds",
  help: "Latency from a trigger firing to the first step of its run starting",
  labelNames: ["trigger"] as const,
  buckets: SLOW,
  registers,
});

/**
 * Plugin invocations in the sandbox, by `plugin` and `outcome`: `ok` or the sandbox error code
 * (`plugin_error`, `sandbox_timeout`, `sandbox_memory`, `sandbox_crashed`, `capability_denied`, …).
 */
export const sandboxInvocationsTotal = new Counter({
  name: "latchflow_sandbox_invocations_total",
  help: "Plugin invocations in the sandbox, by plugin and outcome",
  labelNames: ["plugin", "outcome"] as const,
  registers,
});

/**
 * Plugin executions killed, by `plugin` and `reason`: `timeout` and `memory` (the isolate was disposed),
 * `deadline` (the supervisor SIGKILLed a hung plugin host child).
 */
export const sandboxKillsTotal = new Counter({
  name: "latchflow_sandbox_kills_total",
  help: "Plugin executions killed, by plugin and reason",
  labelNames: ["plugin", "reason"] as const,
  registers,
});

// ---- exposition ----------------------------------------------------------------------------------

let defaultsOn = false;

/** The registry in the Prometheus text format (process metrics are added on the first call). */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  if (!defaultsOn) {
    defaultsOn = true;
    collectDefaultMetrics({ register: metricsRegistry, prefix: "latchflow_" });
  }
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}

/**
 * Whether a scrape may read `/metrics`: always when no token is configured, otherwise only with
 * `Authorization: Bearer <token>` (compared in constant time).
 */
export function metricsAuthorized(authorization: string | undefined, token: Secret | undefined): boolean {
  if (!token) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match?.[1]) return false;
  const presented = Buffer.from(match[1], "utf8");
  const expected = Buffer.from(token.reveal(), "utf8");
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

export interface MetricsServerOptions {
  host: string;
  port: number;
  token: Secret | undefined;
  logger: Logger;
}

/** A process's own `/metrics` endpoint (backends in the distributed mode). Resolves once listening. */
export async function startMetricsServer(
  options: MetricsServerOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    if (!metricsAuthorized(req.headers.authorization, options.token)) {
      res.writeHead(401, { "www-authenticate": "Bearer" }).end();
      return;
    }
    renderMetrics().then(
      ({ contentType, body }) => res.writeHead(200, { "content-type": contentType }).end(body),
      (err: unknown) => {
        options.logger.warn({ err }, "metrics scrape failed");
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : options.port;
  options.logger.info({ host: options.host, port }, "metrics listening");
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
