import { connect } from "@nats-io/transport-node";
import { afterAll, inject } from "vitest";
import { createNatsBus, deleteStream } from "../src/index.js";
import { runBusConformance } from "./conformance.js";

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
