import { randomBytes } from "node:crypto";
import { createEvent, createInProcessBus, type EventBus } from "@latchflow/bus";
import { createNatsBus } from "@latchflow/bus/nats";
import { deleteNatsStream, uniqueName, waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { busConsumerLagSeconds, busDeliveriesTotal, instrumentBus, SpanKind } from "../src/index.js";
import { captureSpans, type SpanCapture, TEST_BUSES } from "../src/testing.js";

let capture: SpanCapture;
beforeAll(() => {
  capture = captureSpans();
});
afterAll(() => capture.stop());

/** An event as a request would have published it: its own trace and parent span. */
function produced() {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  const event = createEvent({
    type: "bundles.bundle.created",
    tenant: "acme",
    actor: { kind: "user", id: "u1" },
    subjectIds: { bundleId: spanId },
    data: { bundleId: spanId, name: spanId },
  });
  return { event: { ...event, traceparent: `00-${traceId}-${spanId}-01` }, traceId, spanId };
}

async function consumerLabels(): Promise<string[]> {
  const deliveries = (await busDeliveriesTotal.get()).values.map((v) => String(v.labels.consumer));
  const lag = (await busConsumerLagSeconds.get()).values.map((v) => String(v.labels.consumer));
  return [...deliveries, ...lag];
}

function created(bundleId: string) {
  return createEvent({
    type: "bundles.bundle.created",
    tenant: "acme",
    actor: { kind: "user", id: "u1" },
    subjectIds: { bundleId },
    data: { bundleId, name: bundleId },
  });
}

describe.each(TEST_BUSES)("the instrumented %s bus", (kind) => {
  const natsUrl = inject("natsUrl");
  const key = uniqueName("batch_spans");
  let bus: EventBus;

  beforeAll(async () => {
    const inner =
      kind === "nats"
        ? await createNatsBus({ servers: natsUrl, stream: key.toUpperCase(), namespace: key })
        : createInProcessBus({});
    bus = instrumentBus(inner, { transport: kind });
  });
  afterAll(async () => {
    await bus?.close();
    if (kind === "nats") await deleteNatsStream(natsUrl, key.toUpperCase());
  });

  it("batched deliveries: one consumer span per event, each a child of its own producer; all failed when the batch throws", async () => {
    const sent = [produced(), produced(), produced()];
    for (const s of sent) await bus.publish(s.event);
    let calls = 0;
    const sub = await bus.subscribeBatch(
      { consumer: "spans", filter: "lf.>", maxBatch: 10, initialBackoffMs: 50 },
      async () => {
        calls++;
        if (calls === 1) throw new Error("first attempt fails");
      },
    );
    const mine = () =>
      capture
        .spans()
        .filter((s) => s.kind === SpanKind.CONSUMER && sent.some((e) => e.traceId === s.traceId));
    await waitFor(() => mine().filter((s) => s.status !== 2).length >= sent.length, {
      timeoutMs: 10_000,
      description: "a successful delivery of every event",
    });
    await sub.stop();
    for (const s of sent) {
      const spans = mine().filter((span) => span.traceId === s.traceId);
      // the instrumented publish made a producer span under the event's own parent
      const producer = capture
        .spans()
        .find((span) => span.kind === SpanKind.PRODUCER && span.parentSpanId === s.spanId);
      expect(producer).toBeDefined();
      expect(spans.every((span) => span.parentSpanId === producer!.spanId)).toBe(true);
      expect(spans.every((span) => span.name === "process bundles.bundle.created")).toBe(true);
      expect(spans.every((span) => span.attributes["messaging.consumer.group.name"] === "spans")).toBe(true);
      // the failed first delivery, when this event was in it, is an error span; the last one is not
      expect(spans.at(-1)!.status).not.toBe(2);
    }
    expect(mine().some((span) => span.status === 2)).toBe(true);
  });

  it("labels an ephemeral consumer's metrics by its stable metrics name, never by its unique consumer name", async () => {
    const unique = `${key}-one-of-many`;
    const stable = `${key}-stable`;
    let seen = 0;
    const sub = await bus.subscribeBatch(
      { consumer: unique, metricsName: stable, filter: "lf.>", ephemeral: true, maxBatch: 10 },
      async (items) => {
        seen += items.length;
      },
    );
    await bus.publish(created("b1"));
    await waitFor(() => seen === 1, { timeoutMs: 10_000, description: "the event delivered" });
    await sub.stop();
    const labels = await consumerLabels();
    expect(labels).toContain(stable);
    expect(labels).not.toContain(unique);
  });

  it("labels a durable consumer's metrics without a metrics name by its consumer name", async () => {
    const durable = `${key}-durable`;
    let seen = 0;
    const sub = await bus.subscribe({ consumer: durable, filter: "lf.>" }, async () => {
      seen++;
    });
    await bus.publish(created("b2"));
    await waitFor(() => seen >= 1, { timeoutMs: 10_000, description: "the event delivered" });
    await sub.stop();
    expect(await consumerLabels()).toContain(durable);
  });
});
