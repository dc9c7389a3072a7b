import { setTimeout as sleep } from "node:timers/promises";
import type { EventEnvelope } from "@latchflow/bus";
import { auditV1 } from "@latchflow/proto";
import { TEST_DIALECTS } from "@latchflow/runtime/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AuditLog } from "../src/audit-log.js";
import { type Backend, createBackend, ctx, event, type RunningAudit, startAudit } from "./harness.js";

const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (hours: number) => new Date(T0.getTime() + hours * 3600_000);

describe.each(TEST_DIALECTS)("audit queries on %s", (dialect) => {
  let backend: Backend;
  let log: AuditLog;
  let audit: RunningAudit;
  const tenant = "q";
  let e: EventEnvelope[];

  const list = async (filter: Partial<auditV1.AuditFilter>, limit = 200) =>
    (
      await audit.client.listEvents(
        { filter: auditV1.AuditFilter.fromPartial(filter), page: { cursor: "", limit } },
        ctx(tenant),
      )
    ).records.map((r) => r.id);
  const ids = (...indexes: number[]) => indexes.map((i) => e[i]!.id);

  beforeAll(async () => {
    backend = await createBackend(dialect, inject("pgUrl"));
    log = await backend.openLog();
    audit = await startAudit(backend.tc);
    const user1 = { kind: "user", id: "U1" } as const;
    const user2 = { kind: "user", id: "U2" } as const;
    e = [
      event({
        tenant,
        type: "bundles.bundle.created",
        subjectIds: { bundleId: "B1" },
        actor: user1,
        occurredAt: at(0),
      }),
      event({
        tenant,
        type: "bundles.assignment.created",
        subjectIds: { assignmentId: "A1", bundleId: "B1", recipientId: "R1" },
        actor: user1,
        occurredAt: at(1),
      }),
      event({
        tenant,
        type: "bundles.download.granted",
        subjectIds: { grantId: "G1", assignmentId: "A1", bundleId: "B1", recipientId: "R1" },
        actor: { kind: "recipient", id: "R1" },
        occurredAt: at(2),
      }),
      event({
        tenant,
        type: "pipelines.pipeline.saved",
        subjectIds: { pipelineId: "P1" },
        actor: user2,
        occurredAt: at(3),
      }),
      event({
        tenant,
        // a kernel event of a later issue: any subject id key of the list is indexed
        type: "pipelines.trigger.fired" as never,
        subjectIds: { pipelineId: "P1", triggerId: "TR1" },
        actor: { kind: "system", id: "scheduler" },
        occurredAt: at(4),
      }),
      event({
        tenant,
        type: "files.file.created",
        subjectIds: { fileId: "F1" },
        actor: user2,
        occurredAt: at(5),
      }),
      event({
        tenant,
        type: "auth.recipient.created",
        subjectIds: { recipientId: "R2" },
        actor: user1,
        occurredAt: at(6),
      }),
      event({
        tenant: "elsewhere",
        type: "bundles.bundle.created",
        subjectIds: { bundleId: "B1" },
        actor: user1,
      }),
    ];
    await log.append(e);
  });
  afterAll(async () => {
    await audit?.stop();
    await backend?.cleanup();
  });

  it("lists a tenant's records newest first, with seq, hashes and every field", async () => {
    const res = await audit.client.listEvents({ page: { cursor: "", limit: 200 } }, ctx(tenant));
    expect(res.records.map((r) => r.id)).toEqual(ids(6, 5, 4, 3, 2, 1, 0));
    expect(res.records.map((r) => r.seq)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(res.records[4]).toMatchObject({
      id: e[2]!.id,
      tenant,
      type: "bundles.download.granted",
      occurredAt: at(2),
      actorKind: "recipient",
      actorId: "R1",
      subjectIds: { grantId: "G1", assignmentId: "A1", bundleId: "B1", recipientId: "R1" },
      requestId: e[2]!.requestId,
      prevHash: res.records[5]!.hash,
    });
    expect(JSON.parse(res.records[4]!.dataJson)).toEqual(e[2]!.data);
  });

  it("filters by type prefix (a whole type, a domain, an entity)", async () => {
    expect(await list({ typePrefix: "bundles." })).toEqual(ids(2, 1, 0));
    expect(await list({ typePrefix: "bundles.bundle." })).toEqual(ids(0));
    expect(await list({ typePrefix: "bundles.assignment.created" })).toEqual(ids(1));
    expect(await list({ typePrefix: "pipelines" })).toEqual(ids(4, 3));
    expect(await list({ typePrefix: "zzz" })).toEqual([]);
  });

  it("filters by each subject: bundle, recipient, pipeline, trigger, file, assignment", async () => {
    expect(await list({ bundleId: "B1" })).toEqual(ids(2, 1, 0));
    expect(await list({ recipientId: "R1" })).toEqual(ids(2, 1));
    expect(await list({ recipientId: "R2" })).toEqual(ids(6));
    expect(await list({ pipelineId: "P1" })).toEqual(ids(4, 3));
    expect(await list({ triggerId: "TR1" })).toEqual(ids(4));
    expect(await list({ fileId: "F1" })).toEqual(ids(5));
    expect(await list({ assignmentId: "A1" })).toEqual(ids(2, 1));
    expect(await list({ bundleId: "B2" })).toEqual([]);
  });

  it("filters by actor kind, or kind and id", async () => {
    expect(await list({ actorKind: "recipient" })).toEqual(ids(2));
    expect(await list({ actorKind: "user", actorId: "U1" })).toEqual(ids(6, 1, 0));
    expect(await list({ actorKind: "user", actorId: "U2" })).toEqual(ids(5, 3));
    expect(await list({ actorKind: "system" })).toEqual(ids(4));
    expect(await list({ actorKind: "token" })).toEqual([]);
  });

  it("filters by a time range (from inclusive, to exclusive) and combines filters", async () => {
    expect(await list({ occurredFrom: at(1), occurredTo: at(3) })).toEqual(ids(2, 1));
    expect(await list({ occurredFrom: at(5) })).toEqual(ids(6, 5));
    expect(await list({ occurredTo: at(1) })).toEqual(ids(0));
    expect(await list({ bundleId: "B1", actorKind: "user" })).toEqual(ids(1, 0));
    expect(await list({ typePrefix: "bundles.", occurredFrom: at(1), recipientId: "R1" })).toEqual(ids(2, 1));
  });

  it("exports only the records of a time range, oldest first", async () => {
    const { metadata, options } = audit.client.$callOptions(ctx(tenant));
    const filter = auditV1.AuditFilter.fromPartial({ occurredFrom: at(1), occurredTo: at(5) });
    const call = audit.client.$raw.exportEvents({ filter }, metadata, options);
    const records: string[] = [];
    for await (const m of call as AsyncIterable<auditV1.ExportEventsResponse>)
      records.push(...m.records.map((r) => r.id));
    expect(records).toEqual(ids(1, 2, 3, 4));
    const none = audit.client.$raw.exportEvents(
      { filter: auditV1.AuditFilter.fromPartial({ occurredFrom: at(100) }) },
      metadata,
      options,
    );
    const messages: auditV1.ExportEventsResponse[] = [];
    for await (const m of none as AsyncIterable<auditV1.ExportEventsResponse>) messages.push(m);
    expect(messages.flatMap((m) => m.records)).toEqual([]);
    expect(messages[0]!.header).toMatchObject({ complete: false });
  });

  it("refuses bad filters and cursors as bad requests naming the field", async () => {
    const bad = async (filter: Partial<auditV1.AuditFilter>, field: string, cursor = "") => {
      const err = await audit.client
        .listEvents(
          { filter: auditV1.AuditFilter.fromPartial(filter), page: { cursor, limit: 10 } },
          ctx(tenant),
        )
        .catch((x: unknown) => x);
      expect(err).toMatchObject({ code: "bad_request", details: { field } });
    };
    await bad({ typePrefix: "DROP TABLE" }, "type");
    await bad({ bundleId: "a b" }, "bundle");
    await bad({ triggerId: "x".repeat(201) }, "trigger");
    await bad({ actorKind: "robot" }, "actor");
    await bad({ actorId: "U1" }, "actor");
    await bad({ occurredFrom: at(3), occurredTo: at(3) }, "from");
    await bad({}, "cursor", "not-a-cursor");
    await bad({}, "cursor", Buffer.from(JSON.stringify({ k: "01ABC" })).toString("base64url"));
  });

  it("pages newest first without gaps or repeats while another task appends", async () => {
    const existing = Array.from({ length: 120 }, () => event({ tenant: "page" }));
    await log.append(existing);
    const later = Array.from({ length: 120 }, () => event({ tenant: "page" }));
    let appending = true;
    const writer = (async () => {
      for (const x of later) {
        await log.append([x]);
        await sleep(2);
      }
      appending = false;
    })();
    const seen: auditV1.AuditRecord[] = [];
    let cursor = "";
    let pagesWhileAppending = 0;
    do {
      if (appending) pagesWhileAppending++;
      const res = await audit.client.listEvents({ page: { cursor, limit: 5 } }, ctx("page"));
      expect(res.records.length).toBeLessThanOrEqual(5);
      seen.push(...res.records);
      cursor = res.page?.nextCursor ?? "";
    } while (cursor);
    await writer;
    expect(pagesWhileAppending).toBeGreaterThan(3);
    const seqs = seen.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);
    const counts = new Map<string, number>();
    for (const r of seen) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    for (const x of existing) expect(counts.get(x.id), x.id).toBe(1);
    // the first page started at the head of that moment: every record from there down is there
    expect(seqs.at(-1)).toBe(1);
    expect(seqs.length).toBe(seqs[0]);
  });
});
