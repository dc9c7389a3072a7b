// Tracing with LATCHFLOW_OTEL_EXPORTER=otlp: the exporter is imported when tracing starts (ADR 070), and the
// spans still reach the collector's /v1/traces.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, it } from "vitest";
import { initTracing, withSpan } from "../src/index.js";

it("exports spans over OTLP/HTTP to the configured endpoint", async () => {
  const received: { url: string | undefined; body: Buffer }[] = [];
  const collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ url: req.url, body: Buffer.concat(chunks) });
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
  const { port } = collector.address() as AddressInfo;
  const tracing = initTracing({
    exporter: "otlp",
    otlpEndpoint: `http://127.0.0.1:${port}/`,
    serviceName: "latchflow-otlp-test",
  });
  try {
    await withSpan("otlp-export-test-span", {}, () => undefined);
    await tracing.forceFlush();
  } finally {
    await tracing.shutdown();
    collector.close();
  }
  expect(received.map((r) => r.url)).toEqual(["/v1/traces"]);
  // protobuf carries strings as UTF-8: the span's and the service's names are in the body
  expect(received[0]?.body.includes("otlp-export-test-span")).toBe(true);
  expect(received[0]?.body.includes("latchflow-otlp-test")).toBe(true);
});
