// Audit appends through the bus consumer, as the service records them: events published first (a backlog),
// then the recorder subscribed and timed until the chain head has moved past every one of them.
import type { EventBus, EventEnvelope } from "@latchflow/bus";
import { createLogger } from "@latchflow/runtime";
import { type AuditLog, subscribeRecorder } from "../services/audit/src/index.js";

export interface ConsumerRate {
  name: string;
  rate: number;
}

/** Events/s recorded by `subscribe` (started after `events` were published on `bus`), chain head polled. */
async function timeConsumer(
  log: AuditLog,
  bus: EventBus,
  events: EventEnvelope[],
  subscribe: () => Promise<{ stop(): Promise<void> }>,
): Promise<number> {
  const tenant = events[0]!.tenant;
  for (const e of events) await bus.publish(e);
  const target = (await log.head(tenant)).seq + events.length;
  const start = performance.now();
  const sub = await subscribe();
  try {
    while ((await log.head(tenant)).seq < target) await new Promise((r) => setTimeout(r, 5));
  } finally {
    await sub.stop();
  }
  return events.length / ((performance.now() - start) / 1000);
}

/**
 * The recorder (batched deliveries, one transaction and chain lock per tenant and batch) on `bus`, and the
 * recorder as it was before (one event per delivery and per transaction) as the in-run comparison.
 */
export async function consumerRates(
  log: AuditLog,
  bus: { label: string; open: () => Promise<EventBus> },
  makeEvents: (n: number) => EventEnvelope[],
  n: number,
): Promise<ConsumerRate[]> {
  const one = await bus.open();
  const single = await timeConsumer(log, one, makeEvents(Math.ceil(n / 5)), () =>
    one.subscribe({ consumer: "bench-single", filter: "lf.>" }, async (e) => {
      await log.append([e]);
    }),
  );
  await one.close();
  const batched = await bus.open();
  const rate = await timeConsumer(log, batched, makeEvents(n), () =>
    subscribeRecorder(batched, log, createLogger({ level: "silent" })),
  );
  await batched.close();
  return [
    { name: `bus consumer (${bus.label}), one event per delivery (before ADR 039)`, rate: single },
    { name: `bus consumer (${bus.label}), batched deliveries (the service)`, rate },
  ];
}
