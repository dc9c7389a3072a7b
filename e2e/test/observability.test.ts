import { createLogger } from "@latchflow/runtime";
import { type CapturedSpan, captureSpans, type SpanCapture } from "@latchflow/runtime/testing";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upload } from "./files/helpers.js";
import { http } from "./http.js";
import { MODES, OWNER_TOKEN, type Stack, startStack } from "./stack.js";

const METRICS_TOKEN = "metrics-token-0123456789abcdef";
const SpanKind = { Internal: 0, Server: 1, Client: 2, Producer: 3, Consumer: 4 } as const;

/** One tracer provider per test file: both modes record into it; each test looks at its own trace id. */
let capture: SpanCapture;
beforeAll(() => {
  capture = captureSpans();
});
afterAll(() => capture.stop());

interface LogLine {
  msg: string;
  service?: string;
  tenant?: string;
  requestId?: string;
  traceId?: string;
  [field: string]: unknown;
}

function one(spans: CapturedSpan[], match: (s: CapturedSpan) => boolean, what: string): CapturedSpan {
  const found = spans.filter(match);
  expect(
    found.map((s) => s.name),
    what,
  ).toHaveLength(1);
  return found[0]!;
}

describe.each(MODES)("observability on %s + %s", (dialect, bus) => {
  const lines: LogLine[] = [];
  let stack: Stack;

  beforeAll(async () => {
    const logger = createLogger({
      level: "debug",
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
    });
    stack = await startStack(dialect, bus, "obs", { LATCHFLOW_METRICS_TOKEN: METRICS_TOKEN }, { logger });
  });
  afterAll(() => stack?.stop());

  it("one HTTP request is one trace: gateway → bundles (gRPC) → outbox → bus → audit, and one request id in every service's logs", async () => {
    const traceId = (dialect === "sqlite" ? "a" : "b").repeat(32);
    const inboundSpan = "00f067aa0ba902b7";
    const requestId = `obs-${dialect}-${Date.now()}`;
    const res = await stack.api("POST", "/api/v1/bundles", {
      json: { name: `traced ${dialect}` },
      headers: { "x-request-id": requestId, traceparent: `00-${traceId}-${inboundSpan}-01` },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get("x-request-id")).toBe(requestId);

    const isAuditDelivery = (s: CapturedSpan) =>
      s.traceId === traceId &&
      s.kind === SpanKind.Consumer &&
      s.attributes["messaging.consumer.group.name"] === "audit";
    await waitFor(() => capture.spans().some(isAuditDelivery), { timeoutMs: 10_000 });
    const spans = capture.spans().filter((s) => s.traceId === traceId);

    const incoming = one(
      spans,
      (s) => s.kind === SpanKind.Server && s.name === "POST /api/v1/bundles",
      "http",
    );
    expect(incoming.parentSpanId).toBe(inboundSpan);
    expect(incoming.attributes).toMatchObject({
      "http.route": "/api/v1/bundles",
      "http.response.status_code": 201,
    });
    const rpc = "latchflow.bundles.v1.BundlesService/CreateBundle";
    const client = one(spans, (s) => s.kind === SpanKind.Client && s.name === rpc, "grpc client");
    expect(client.parentSpanId).toBe(incoming.spanId);
    const server = one(spans, (s) => s.kind === SpanKind.Server && s.name === rpc, "grpc server");
    expect(server.parentSpanId).toBe(client.spanId);
    // authentication is a sibling call under the same request
    const auth = one(
      spans,
      (s) => s.kind === SpanKind.Client && s.name.endsWith("AuthService/Authenticate"),
      "auth",
    );
    expect(auth.parentSpanId).toBe(incoming.spanId);
    // the outbox row kept the bundles span's context; the relay's publish continues it
    const publish = one(
      spans,
      (s) => s.kind === SpanKind.Producer && s.name === "publish bundles.bundle.created",
      "publish",
    );
    expect(publish.parentSpanId).toBe(server.spanId);
    expect(publish.attributes).toMatchObject({ "messaging.system": bus, "latchflow.request_id": requestId });
    const delivery = one(spans, isAuditDelivery, "audit delivery");
    expect(delivery.name).toBe("process bundles.bundle.created");
    expect(delivery.parentSpanId).toBe(publish.spanId);

    // logs: the same request id in the gateway's, auth's, bundles' and audit's lines
    await waitFor(() => lines.some((l) => l.service === "audit" && l.requestId === requestId));
    const mine = lines.filter((l) => l.requestId === requestId);
    const services = new Set(mine.map((l) => l.service));
    for (const service of ["gateway", "auth", "bundles", "audit"])
      expect(services, service).toContain(service);
    for (const line of mine) {
      expect(line.service, line.msg).toBeTruthy();
      expect(line.tenant, line.msg).toBe("default");
    }
    expect(mine.find((l) => l.service === "gateway" && l.msg === "http request")?.traceId).toBe(traceId);
    expect(mine.find((l) => l.service === "audit" && l.msg === "event recorded")).toBeDefined();
  });

  it("serves /metrics behind the token with HTTP, gRPC, bus, outbox, download and auth-failure series", async () => {
    const fileId = await upload(stack, "metrics.txt", Buffer.from("counted bytes"));
    const download = await stack.api("GET", `/api/v1/files/${fileId}/content`);
    expect(download.status).toBe(200);
    expect(download.text).toBe("counted bytes");
    expect((await http(stack.base, "GET", `/dl/${"x".repeat(43)}`)).status).toBe(404);
    expect((await http(stack.base, "GET", "/api/v1/bundles")).status).toBe(401);
    expect((await http(stack.base, "GET", "/api/v1/bundles", { token: "not-a-real-token" })).status).toBe(
      401,
    );
    expect(
      (await http(stack.base, "GET", "/api/v1/bundles", { headers: { authorization: "Basic abc" } })).status,
    ).toBe(401);

    expect((await http(stack.base, "GET", "/metrics")).status).toBe(401);
    expect((await http(stack.base, "GET", "/metrics", { token: OWNER_TOKEN })).status).toBe(401);
    const waitForLine = async (needle: string) => {
      let text = "";
      await waitFor(
        async () => {
          const res = await http(stack.base, "GET", "/metrics", { token: METRICS_TOKEN });
          expect(res.status).toBe(200);
          expect(res.headers.get("content-type")).toContain("text/plain");
          text = res.text;
          return text.includes(needle);
        },
        { timeoutMs: 10_000 },
      );
      return text;
    };
    // the upload's events reach audit asynchronously
    const text = await waitForLine(
      'latchflow_bus_deliveries_total{consumer="audit",type="files.file.downloaded"',
    );

    const expected = [
      'latchflow_http_requests_total{method="POST",route="/api/v1/bundles",status="201"}',
      'latchflow_http_request_duration_seconds_bucket{le="0.5",method="GET",route="/api/v1/files/:id/content",status="200"}',
      'latchflow_grpc_server_calls_total{service="latchflow.bundles.v1.BundlesService",method="CreateBundle",code="ok"}',
      'latchflow_grpc_server_calls_total{service="latchflow.auth.v1.AuthService",method="Authenticate",code="unauthenticated"}',
      'latchflow_grpc_server_call_duration_seconds_count{service="latchflow.auth.v1.AuthService",method="Authenticate",code="ok"}',
      'latchflow_bus_published_total{type="bundles.bundle.created",outcome="ok"}',
      'latchflow_bus_deliveries_total{consumer="audit",type="bundles.bundle.created",outcome="ok"}',
      'latchflow_bus_consumer_lag_seconds_count{consumer="audit"}',
      'latchflow_outbox_backlog{service="bundles"}',
      'latchflow_downloads_total{kind="file",outcome="completed"}',
      'latchflow_downloads_total{kind="grant",outcome="denied"}',
      'latchflow_auth_failures_total{reason="missing_credentials"}',
      'latchflow_auth_failures_total{reason="invalid_credentials"}',
      'latchflow_auth_failures_total{reason="malformed_authorization"}',
      "# TYPE latchflow_pipeline_runs_total counter",
      "# TYPE latchflow_pipeline_steps_total counter",
      "# TYPE latchflow_pipeline_trigger_to_first_step_seconds histogram",
      "# TYPE latchflow_sandbox_invocations_total counter",
      "# TYPE latchflow_sandbox_kills_total counter",
      "latchflow_process_cpu_user_seconds_total",
    ];
    for (const needle of expected) expect(text, needle).toContain(needle);
    // labels carry route templates, never ids or tokens
    expect(text).not.toContain(fileId);
    expect(text).not.toContain("x".repeat(43));
  });
});
