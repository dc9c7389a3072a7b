import { uniqueName } from "@latchflow/testing";
import { connect } from "@nats-io/transport-node";
import { afterAll, expect, inject, it } from "vitest";
import { createNatsBus, deleteStream, REQUEST_ID_HEADER, TRACEPARENT_HEADER } from "../src/nats.js";
import { runBatchConformance } from "./batch-conformance.js";
import { runBusConformance } from "./conformance.js";
import { bundleCreated, waitFor } from "./helpers.js";

const natsUrl = inject("natsUrl");
const streams = new Set<string>();

afterAll(async () => {
  const nc = await connect({ servers: natsUrl });
  try {
    for (const stream of streams) await deleteStream(nc, stream);
  } finally {
    await nc.close();
  }
});

runBusConformance("NATS JetStream", async (key, options) => {
  streams.add(key);
  return createNatsBus({
    servers: natsUrl,
    stream: key,
    namespace: key,
    name: "bus-conformance",
    ...options,
  });
});

it("puts the request id and trace context in the message headers", async () => {
  const key = uniqueName("hdr");
  streams.add(key);
  const bus = await createNatsBus({ servers: natsUrl, stream: key, namespace: key });
  const nc = await connect({ servers: natsUrl });
  try {
    const seen: { requestId?: string; traceparent?: string }[] = [];
    const sub = nc.subscribe(`${key}.lf.>`, {
      callback: (_err, msg) => {
        seen.push({
          requestId: msg.headers?.get(REQUEST_ID_HEADER),
          traceparent: msg.headers?.get(TRACEPARENT_HEADER),
        });
      },
    });
    await nc.flush();
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await bus.publish({ ...bundleCreated("acme", "req-hdr"), traceparent });
    await waitFor(() => seen.length === 1, "the message on the wire");
    expect(seen[0]).toEqual({ requestId: "req-hdr", traceparent });
    sub.unsubscribe();
  } finally {
    await nc.close();
    await bus.close();
  }
});

runBatchConformance("NATS JetStream", async (key, options) => {
  streams.add(key);
  return createNatsBus({ servers: natsUrl, stream: key, namespace: key, name: "bus-batch", ...options });
});
