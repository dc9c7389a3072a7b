import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, AckPolicy } from "@nats-io/jetstream";
import { it } from "vitest";

it("repro", async () => {
  const name = `S${Date.now()}`;
  const nc = await connect({ servers: "nats://127.0.0.1:4222" });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  await jsm.consumers.add(name, { durable_name: "w", ack_policy: AckPolicy.Explicit, ack_wait: 2_000_000_000, filter_subject: `${name}.>` });
  const js = jetstream(nc);
  for (let i = 1; i <= 6; i++) await js.publish(`${name}.x`, String(i));
  const c = await js.consumers.get(name, "w");
  const log: string[] = [];
  let n = 0;
  outer: for (;;) {
    const batch = await c.fetch({ max_messages: 1, expires: 10_000 });
    for await (const m of batch) {
      log.push(`run1 ${m.string()} dc=${m.info.deliveryCount} dseq=${m.info.deliverySequence}`);
      n++;
      if (n <= 3) m.ack(); else m.nak(30);
      if (n === 6) break outer;
    }
  }
  const pending = await c.fetch({ max_messages: 1, expires: 10_000 });
  const drainer = (async () => { for await (const m of pending) { log.push(`run1-late ${m.string()} dc=${m.info.deliveryCount}`); m.nak(); } })();
  await new Promise((r) => setTimeout(r, Number(process.env.WAIT ?? 5)));
  await pending.close();
  await drainer;
  await nc.drain();
  const nc2 = await connect({ servers: "nats://127.0.0.1:4222" });
  const c2 = await jetstream(nc2).consumers.get(name, "w");
  const t0 = Date.now();
  while (Date.now() - t0 < 3000) {
    const batch = await c2.fetch({ max_messages: 1, expires: 1000 });
    for await (const m of batch) {
      log.push(`run2 +${Date.now() - t0}ms ${m.string()} dc=${m.info.deliveryCount} dseq=${m.info.deliverySequence}`);
      m.ack();
    }
  }
  console.log(log.join("\n"));
  await (await jetstreamManager(nc2)).streams.delete(name);
  await nc2.close();
}, 20_000);
