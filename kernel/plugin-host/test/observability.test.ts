import { sandboxInvocationsTotal, sandboxKillsTotal } from "@latchflow/runtime";
import { captureSpans } from "@latchflow/runtime/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createPluginHost, type PluginHostLogger } from "../src/index.js";
import { PING, pluginCode, rejection } from "./helpers.js";

interface Line {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

const lines: Line[] = [];
const logger: PluginHostLogger = {
  info: (fields, message) => lines.push({ level: "info", message, fields }),
  warn: (fields, message) => lines.push({ level: "warn", message, fields }),
  error: (fields, message) => lines.push({ level: "error", message, fields }),
};
const host = createPluginHost({ logger });
afterAll(() => host.close());

const SPIN = `"spin@1": { kind: "action", run() { for (;;) {} } }`;
const FAIL = `"fail@1": { kind: "action", run() { throw new Error("no"); } }`;
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

async function count(
  metric: typeof sandboxInvocationsTotal,
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await metric.get();
  const hit = values.find((v) =>
    Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
  );
  return hit?.value ?? 0;
}

describe("plugin host observability", () => {
  it("the child's log lines carry the invocation's request id and trace context", async () => {
    await host.load({ name: "obs", code: pluginCode(`${PING}, ${FAIL}`) });
    const before = await count(sandboxInvocationsTotal, { plugin: "obs", outcome: "ok" });
    const out = await host.invoke(
      "obs",
      "ping@1",
      1,
      {},
      { deadlineMs: 2_000, requestId: "req-123", traceparent: TRACEPARENT },
    );
    expect(out).toEqual({ pong: 1 });
    const finished = lines.find((l) => l.message === "plugin invocation finished");
    expect(finished?.fields).toMatchObject({
      plugin: "obs",
      exportName: "ping@1",
      requestId: "req-123",
      // no tracer provider is registered: the invocation span passes the caller's context through
      traceparent: TRACEPARENT,
      source: "plugin-host-child",
    });
    expect(typeof finished?.fields.durationMs).toBe("number");
    expect(await count(sandboxInvocationsTotal, { plugin: "obs", outcome: "ok" })).toBe(before + 1);

    await rejection(host.invoke("obs", "fail@1", null, {}, { deadlineMs: 2_000, requestId: "req-456" }));
    const failed = lines.find((l) => l.message === "plugin invocation failed");
    expect(failed).toMatchObject({ level: "warn", fields: { requestId: "req-456", code: "plugin_error" } });
    expect(failed?.fields.traceparent).toBeUndefined();
    expect(await count(sandboxInvocationsTotal, { plugin: "obs", outcome: "plugin_error" })).toBeGreaterThan(
      0,
    );
  });

  it("counts an isolate killed for its CPU timeout", async () => {
    await host.load({ name: "spinner", code: pluginCode(SPIN), limits: { cpuTimeoutMs: 100 } });
    const kills = await count(sandboxKillsTotal, { plugin: "spinner", reason: "timeout" });
    expect(await rejection(host.invoke("spinner", "spin@1", null, {}, { deadlineMs: 5_000 }))).toMatchObject({
      code: "sandbox_timeout",
    });
    expect(await count(sandboxKillsTotal, { plugin: "spinner", reason: "timeout" })).toBe(kills + 1);
    expect(await count(sandboxInvocationsTotal, { plugin: "spinner", outcome: "sandbox_timeout" })).toBe(1);
  });

  it("with tracing on, each invocation is a span under the caller's trace, and the child logs that span", async () => {
    await host.load({ name: "traced", code: pluginCode(`${PING}, ${FAIL}`) });
    const capture = captureSpans();
    try {
      lines.length = 0;
      expect(
        await host.invoke("traced", "ping@1", 2, {}, { deadlineMs: 2_000, traceparent: TRACEPARENT }),
      ).toEqual({ pong: 2 });
      await rejection(host.invoke("traced", "fail@1", null, {}, { deadlineMs: 2_000 }));
      const [ok, failed] = capture.spans().filter((s) => s.name.startsWith("plugin traced "));
      expect(ok).toMatchObject({
        name: "plugin traced ping@1",
        traceId: TRACEPARENT.split("-")[1],
        parentSpanId: TRACEPARENT.split("-")[2],
        attributes: { "latchflow.plugin": "traced", "latchflow.plugin.export": "ping@1" },
      });
      const finished = lines.find((l) => l.message === "plugin invocation finished");
      expect(finished?.fields.traceparent).toBe(`00-${ok?.traceId}-${ok?.spanId}-01`);
      expect(failed).toMatchObject({
        name: "plugin traced fail@1",
        status: 2,
        attributes: { "latchflow.error_code": "plugin_error" },
      });
      expect(lines.find((l) => l.message === "plugin invocation failed")?.fields.traceparent).toMatch(
        new RegExp(`^00-${failed?.traceId}-${failed?.spanId}-01$`),
      );
    } finally {
      await capture.stop();
    }
  });
});
