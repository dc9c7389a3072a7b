// Event delivery latency (publish → handler), in-process vs NATS JetStream. Baseline: in-process.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEvent, createInProcessBus, type EventBus } from "@latchflow/bus";
import { createNatsBus, deleteStream } from "@latchflow/bus/nats";
import { uniqueName } from "@latchflow/testing";
import { connect } from "@nats-io/transport-node";
import { printTable, type Summary, summarize } from "./stats.js";

const N = Number(process.env.BENCH_N ?? 1000);

async function deliveryLatency(bus: EventBus, label: string): Promise<Summary> {
  let resolveNext: (() => void) | undefined;
  const sub = await bus.subscribe({ consumer: "bench", filter: "lf.*.bundles.>" }, async () => {
    resolveNext?.();
  });
  const samples: number[] = [];
  try {
    for (let i = 0; i < N + 50; i++) {
      const delivered = new Promise<void>((r) => {
        resolveNext = r;
      });
      const event = createEvent({
        type: "bundles.bundle.created",
        tenant: "default",
        actor: { kind: "system", id: "bench" },
        data: { bundleId: String(i), name: String(i) },
      });
      const t = performance.now();
      await bus.publish(event);
      await delivered;
      if (i >= 50) samples.push(performance.now() - t);
    }
  } finally {
    await sub.stop();
  }
  return summarize(label, samples);
}

export async function benchBus(natsUrl: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lf-bench-bus-"));
  const local = createInProcessBus({ path: join(dir, "bus.db") });
  let inProcess: Summary;
  try {
    inProcess = await deliveryLatency(local, "in-process bus (SQLite log)");
  } finally {
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const name = uniqueName("bench_bus");
  const nats = await createNatsBus({ servers: natsUrl, stream: name.toUpperCase(), namespace: name });
  let natsRow: Summary;
  try {
    natsRow = await deliveryLatency(nats, "NATS JetStream");
  } finally {
    await nats.close();
    const nc = await connect({ servers: natsUrl });
    await deleteStream(nc, name.toUpperCase());
    await nc.close();
  }
  printTable("event delivery latency (publish → handler)", [inProcess, natsRow], inProcess);
}
