import { createInProcessBus, type EventBus, type EventEnvelope } from "@latchflow/bus";
import { dropSchemas, uniqueName, waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createOutboxRelay,
  type Database,
  databaseTarget,
  emitEvent,
  OutboxMessage,
  openDatabase,
  outboxMigration,
} from "../src/db/index.js";
import {
  CallerKind,
  createLogger,
  detachedFromRequest,
  instrumentBus,
  metricsAuthorized,
  outboxBacklog,
  type RequestContext,
  Secret,
  SpanKind,
  startMetricsServer,
  withLogContext,
  withSpan,
} from "../src/index.js";
import { captureSpans, createTestConfig, type SpanCapture, TEST_DIALECTS } from "../src/testing.js";

let capture: SpanCapture;
beforeAll(() => {
  capture = captureSpans();
});
afterAll(() => capture.stop());

const silent = createLogger({ level: "silent" });

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: "debug",
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

/** A bus that refuses publishes while `refusing` is set (the NATS server is down, say). */
function flakyBus(inner: EventBus): EventBus & { refusing: boolean } {
  const bus = {
    refusing: true,
    publish: (event: EventEnvelope) =>
      bus.refusing ? Promise.reject(new Error("bus unavailable")) : inner.publish(event),
    subscribe: inner.subscribe.bind(inner),
    subscribeBatch: inner.subscribeBatch.bind(inner),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
  return bus;
}

async function backlogOf(service: string): Promise<number | undefined> {
  const { values } = await outboxBacklog.get();
  return values.find((v) => v.labels.service === service)?.value;
}

describe.each(TEST_DIALECTS)("outbox trace context and backlog on %s", (dialect) => {
  const name = uniqueName("rt_obs");
  const tc = createTestConfig({ dialect, name, pgUrl: inject("pgUrl") });
  let db: Database;
  const inner = createInProcessBus({});
  const bus = flakyBus(inner);
  const service = `notes-${dialect}`;

  beforeAll(async () => {
    db = await openDatabase(
      databaseTarget(tc.config, "notes"),
      { entities: [OutboxMessage], migrations: [outboxMigration] },
      silent,
    );
  });
  afterAll(async () => {
    await db?.close();
    await inner.close();
    if (dialect === "postgres") await dropSchemas(inject("pgUrl"), `${name}_`);
    tc.cleanup();
  });

  it("stores the request's trace context in the row; the relay publishes a child span of it and reports its backlog", async () => {
    const { logger, lines } = capturedLogger();
    const delivered: EventEnvelope[] = [];
    const instrumented = instrumentBus(bus, { transport: "in-process" });
    const sub = await instrumented.subscribe(
      { consumer: `c_${dialect}`, filter: "lf.*.bundles.>" },
      async (event) => {
        delivered.push(event);
        logger.child({ service: "consumer" }).info("handled");
      },
    );
    const relay = createOutboxRelay({
      db,
      bus: instrumented,
      logger: silent,
      pollMs: 30,
      retryMs: 20,
      service,
    });
    relay.start();
    try {
      const ctx: RequestContext = {
        requestId: `req-${dialect}`,
        tenant: "default",
        caller: { kind: CallerKind.User, id: "u1" },
      };
      const requestSpan = await withSpan("request", { kind: SpanKind.SERVER }, async (span) => {
        await db
          .em()
          .transactional((tx) =>
            emitEvent(tx, ctx, "bundles.bundle.created", { bundleId: "b1" }, { bundleId: "b1", name: "n" }),
          );
        relay.nudge();
        return span.spanContext();
      });
      const [row] = await db.em().find(OutboxMessage, {});
      const stored = JSON.parse(row!.envelope) as EventEnvelope;
      expect(stored.requestId).toBe(ctx.requestId);
      expect(stored.traceparent).toBe(`00-${requestSpan.traceId}-${requestSpan.spanId}-01`);

      // the bus refuses: a failed attempt (its span ended in error), the row stays unsent and the gauge says so
      // (the gauge counts unsent rows, so it reads 1 before the relay tried at all: wait for the attempt itself)
      await waitFor(() =>
        capture
          .spans()
          .some((s) => s.traceId === requestSpan.traceId && s.kind === SpanKind.PRODUCER && s.status === 2),
      );
      await waitFor(async () => (await backlogOf(service)) === 1);
      expect(delivered).toHaveLength(0);

      bus.refusing = false;
      await waitFor(() => delivered.length === 1, { timeoutMs: 5_000 });
      // the gauge is updated after the relay marks the row sent, which follows the publish
      await waitFor(async () => (await backlogOf(service)) === 0, { timeoutMs: 5_000 });

      const spans = capture.spans().filter((s) => s.traceId === requestSpan.traceId);
      const publishes = spans.filter((s) => s.kind === SpanKind.PRODUCER);
      // one failed attempt at least, then the one that went through; all children of the request
      expect(publishes.length).toBeGreaterThanOrEqual(2);
      for (const p of publishes) expect(p.parentSpanId).toBe(requestSpan.spanId);
      const sent = publishes.find((p) => p.status !== 2)!;
      expect(delivered[0]!.traceparent).toBe(`00-${requestSpan.traceId}-${sent.spanId}-01`);
      const consumed = spans.find((s) => s.kind === SpanKind.CONSUMER);
      expect(consumed?.parentSpanId).toBe(sent.spanId);
      await waitFor(() => lines.length > 0);
      expect(lines[0]).toMatchObject({ service: "consumer", requestId: ctx.requestId, tenant: "default" });
      expect(lines[0]!.traceId).toBe(requestSpan.traceId);
    } finally {
      await relay.stop();
      await sub.stop();
    }
    // a stopped relay is no longer counted
    expect(await backlogOf(service)).toBeUndefined();
  });
});

describe("request-scoped log fields", () => {
  it("adds requestId and tenant inside a scope; call-site fields win; detached work has none", () => {
    const { logger, lines } = capturedLogger();
    const log = logger.child({ service: "svc" });
    log.info("outside");
    withLogContext({ requestId: "r1", tenant: "t1" }, () => {
      log.info("inside");
      log.info({ requestId: "explicit" }, "explicit");
      detachedFromRequest(() => log.info("detached"));
    });
    const byMsg = Object.fromEntries(lines.map((l) => [l.msg, l]));
    expect(byMsg.outside).not.toHaveProperty("requestId");
    expect(byMsg.inside).toMatchObject({ service: "svc", requestId: "r1", tenant: "t1" });
    expect(byMsg.explicit).toMatchObject({ requestId: "explicit", tenant: "t1" });
    expect(byMsg.detached).not.toHaveProperty("requestId");
  });
});

describe("metrics endpoint protection", () => {
  const token = new Secret("a-metrics-token-of-some-length");

  it("authorizes only the exact bearer token when one is configured", () => {
    expect(metricsAuthorized(undefined, undefined)).toBe(true);
    expect(metricsAuthorized(undefined, token)).toBe(false);
    expect(metricsAuthorized("Bearer a-metrics-token-of-some-length", token)).toBe(true);
    expect(metricsAuthorized("bearer a-metrics-token-of-some-length ", token)).toBe(true);
    expect(metricsAuthorized("Bearer a-metrics-token-of-some-lengtH", token)).toBe(false);
    expect(metricsAuthorized("Bearer a-metrics-token", token)).toBe(false);
    expect(metricsAuthorized("Basic a-metrics-token-of-some-length", token)).toBe(false);
  });

  it("a backend's own /metrics server answers 401 without the token and the registry with it", async () => {
    const server = await startMetricsServer({ host: "127.0.0.1", port: 0, token, logger: silent });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      expect((await fetch(`${url}/other`)).status).toBe(404);
      const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token.reveal()}` } });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain("# TYPE latchflow_outbox_backlog gauge");
      expect(text).toContain("# TYPE latchflow_grpc_server_calls_total counter");
    } finally {
      await server.close();
    }
  });
});
