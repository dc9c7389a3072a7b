import { uniqueName } from "@latchflow/testing";
import { AckPolicy, DeliverPolicy, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { pruneStream } from "../src/nats/retention.js";
import { createNatsBus, deleteStream } from "../src/nats.js";
import {
  bundleCreated,
  captureLogger,
  expectOnlyNewEventAfterRestart,
  publishWithOneHeld,
  sleep,
  waitFor,
} from "./helpers.js";

const natsUrl = inject("natsUrl");
const streams = new Set<string>();
let nc: NatsConnection;

beforeAll(async () => {
  nc = await connect({ servers: natsUrl });
});
afterAll(async () => {
  for (const stream of streams) await deleteStream(nc, stream);
  await nc.close();
});

const newStream = (): string => {
  const key = uniqueName("ret");
  streams.add(key);
  return key;
};

/** The seqs the stream still holds, of the first `upTo`. */
async function storedSeqs(stream: string, upTo: number): Promise<number[]> {
  const jsm = await jetstreamManager(nc);
  const seqs: number[] = [];
  for (let seq = 1; seq <= upTo; seq++) if (await jsm.streams.getMessage(stream, { seq })) seqs.push(seq);
  return seqs;
}

describe("NATS bus retention", () => {
  it("purges only what every consumer is past and what was stored before the cutoff", async () => {
    const stream = newStream();
    const bus = await createNatsBus({ servers: natsUrl, stream, namespace: stream });
    const jsm = await jetstreamManager(nc);
    try {
      for (let i = 0; i < 3; i++) await bus.publish(bundleCreated());
      await sleep(20);
      const cutoff = Date.now();
      await sleep(20);
      for (let i = 0; i < 3; i++) await bus.publish(bundleCreated());
      // a durable consumer of a service that is down: it has read nothing
      await jsm.consumers.add(stream, {
        durable_name: "down",
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: `${stream}.lf.>`,
      });
      expect(await pruneStream(jsm, stream, Date.now())).toBe(0);
      await jsm.consumers.delete(stream, "down");

      const acked: string[] = [];
      const sub = await bus.subscribe({ consumer: "reader", filter: "lf.>" }, async (e) => {
        acked.push(e.id);
      });
      await waitFor(() => acked.length === 6, "every event acked");
      await sub.stop();
      // all consumed: the cutoff decides; the binary search finds the last message stored before it
      expect(await pruneStream(jsm, stream, cutoff)).toBe(3);
      expect(await storedSeqs(stream, 6)).toEqual([4, 5, 6]);
      expect(await pruneStream(jsm, stream, cutoff)).toBe(0); // a second prune finds nothing more
      expect(await pruneStream(jsm, stream, Date.now() + 1)).toBe(3);
      expect(await storedSeqs(stream, 6)).toEqual([]);
    } finally {
      await bus.close();
    }
  });

  it("keeps an event a consumer still holds, purges it once acked, and goes on after a restart", async () => {
    const stream = newStream();
    const { logger, lines } = captureLogger();
    const options = { servers: natsUrl, stream, namespace: stream, retentionMs: 0, pruneEveryMs: 30 };
    const bus = await createNatsBus({ ...options, logger });
    const { release } = await publishWithOneHeld(bus);
    await sleep(200); // several prunes
    expect(await storedSeqs(stream, 4)).toEqual(expect.arrayContaining([3, 4]));
    release();
    // once acked, the held event and everything before it go (seq 4 too, once the server records the skip)
    await waitFor(() => lines.some((l) => l.msg === "consumed events removed from the bus log"), "a prune");
    for (const until = Date.now() + 10_000; (await storedSeqs(stream, 3)).length > 0; await sleep(20)) {
      if (Date.now() > until) throw new Error(`still stored: ${await storedSeqs(stream, 3)}`);
    }
    await bus.close();

    await expectOnlyNewEventAfterRestart(await createNatsBus(options));
  });
});
