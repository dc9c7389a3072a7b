import { createInProcessBus, type EventBus, type Subscription } from "@latchflow/bus";
import { createNatsBus } from "@latchflow/bus/nats";
import { TEST_BUSES, TEST_DIALECTS, type TestBus } from "@latchflow/runtime/testing";
import { deleteNatsStream, uniqueName, waitFor } from "@latchflow/testing";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { AuditLog } from "../src/audit-log.js";
import { subscribeRecorder } from "../src/recorder.js";
import { type Backend, createBackend, event, logger } from "./harness.js";

const CASES = TEST_DIALECTS.flatMap((dialect) => TEST_BUSES.map((bus) => [dialect, bus] as const));

/** Events of one tenant, for a test that looks at that tenant's chain alone. */
const events = (tenant: string, n: number) => Array.from({ length: n }, () => event({ tenant }));

/** How many records a tenant's chain holds, after checking that it verifies from genesis to its head. */
async function intactChain(log: AuditLog, tenant: string): Promise<number> {
  const head = await log.head(tenant);
  const verified = await log.verify(tenant);
  expect(verified).toMatchObject({ ok: true, checked: head.seq });
  return head.seq;
}

describe.each(CASES)("audit recorder on %s with the %s bus", (dialect, busKind: TestBus) => {
  const pgUrl = inject("pgUrl");
  const natsUrl = inject("natsUrl");
  const streams: string[] = [];
  const buses: EventBus[] = [];
  const subs: Subscription[] = [];
  let backend: Backend;

  /** `replicas` buses on one stream (NATS: one connection each, as separate processes would have). */
  const openBuses = async (replicas: number): Promise<EventBus[]> => {
    if (busKind === "in-process") {
      const bus = createInProcessBus({});
      buses.push(bus);
      return Array.from({ length: replicas }, () => bus);
    }
    const key = uniqueName("audit_rec");
    streams.push(key.toUpperCase());
    const opened = [];
    for (let i = 0; i < replicas; i++) {
      opened.push(await createNatsBus({ servers: natsUrl, stream: key.toUpperCase(), namespace: key }));
    }
    buses.push(...opened);
    return opened;
  };

  beforeAll(async () => {
    backend = await createBackend(dialect, pgUrl);
  });
  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.stop()));
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    for (const stream of streams) await deleteNatsStream(natsUrl, stream);
    await backend?.cleanup();
  });

  it("records a backlog in batches with two replicas: each event once, one chain per tenant", async () => {
    const [busA, busB] = await openBuses(2);
    const a = events("rep-a", 700);
    const b = events("rep-b", 500);
    // interleaved tenants, and every 50th event published twice (a re-publish reaches the chain once)
    for (const [i, e] of a.entries()) {
      await busA!.publish(e);
      if (b[i]) await busA!.publish(b[i]!);
      if (i % 50 === 0) await busA!.publish(e);
    }
    const logA = await backend.openLog();
    const logB = await backend.openLog();
    subs.push(await subscribeRecorder(busA!, logA, logger));
    subs.push(await subscribeRecorder(busB!, logB, logger));
    await waitFor(
      async () => (await logA.head("rep-a")).seq === a.length && (await logA.head("rep-b")).seq === b.length,
      { timeoutMs: 60_000, description: "every event recorded" },
    );
    expect(await intactChain(logA, "rep-a")).toBe(a.length);
    expect(await intactChain(logB, "rep-b")).toBe(b.length);
  });

  it("keeps the chain intact when a batch fails midway, then records every event once on redelivery", async () => {
    const [bus] = await openBuses(1);
    const ok = events("mid-ok", 40);
    const bad = events("mid-bad", 60);
    const poison = bad[45]!;
    // the insert of one record fails inside its tenant's transaction, after the rows before it
    const poisoned = uniqueName("poison");
    if (dialect === "postgres") {
      await backend.sql(
        "audit_log",
        `CREATE FUNCTION ${poisoned}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.id = '${poison.id}' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$`,
      );
      await backend.sql(
        "audit_log",
        `CREATE TRIGGER ${poisoned} BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION ${poisoned}()`,
      );
    } else {
      await backend.sql(
        "audit_log",
        `CREATE TRIGGER ${poisoned} BEFORE INSERT ON {t} WHEN NEW.id = '${poison.id}'
         BEGIN SELECT RAISE(ABORT, 'poisoned'); END`,
      );
    }
    for (const e of [...ok, ...bad]) await bus!.publish(e);
    const log = await backend.openLog();
    subs.push(await subscribeRecorder(bus!, log, logger));
    await waitFor(async () => (await log.head("mid-ok")).seq === ok.length, {
      timeoutMs: 30_000,
      description: "the healthy tenant recorded",
    });
    // the failing batch is retried with backoff while the trigger stays: nothing of it is in the chain
    await new Promise((resolve) => setTimeout(resolve, 600));
    const stuck = await intactChain(log, "mid-bad");
    expect(stuck).toBeLessThan(bad.length);
    expect(await log.list("mid-bad", {}, { limit: 100 })).toMatchObject({
      items: expect.not.arrayContaining([expect.objectContaining({ id: poison.id })]),
    });

    if (dialect === "postgres") {
      await backend.sql("audit_log", `DROP TRIGGER ${poisoned} ON {t}`);
      await backend.sql("audit_log", `DROP FUNCTION ${poisoned}()`);
    } else {
      await backend.sql("audit_log", `DROP TRIGGER ${poisoned}`);
    }
    await waitFor(async () => (await log.head("mid-bad")).seq === bad.length, {
      timeoutMs: 30_000,
      description: "the redelivered batch recorded",
    });
    expect(await intactChain(log, "mid-bad")).toBe(bad.length);
    expect(await intactChain(log, "mid-ok")).toBe(ok.length);
    const recorded = await log.list("mid-bad", {}, { limit: 100 });
    expect(recorded.items.map((r) => r.id).sort()).toEqual(bad.map((e) => e.id).sort());
  });
});
