import type { EventEnvelope } from "@latchflow/bus";
import { auditV1 } from "@latchflow/proto";
import { TEST_DIALECTS } from "@latchflow/runtime/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Backend, createBackend, ctx, event, type RunningAudit, startAudit } from "./harness.js";

/** Filters by name and the labels of a page (ADR 032): names come from the events that gave them. */
describe.each(TEST_DIALECTS)("audit names on %s", (dialect) => {
  let backend: Backend;
  let audit: RunningAudit;
  const tenant = "n";
  let e: EventEnvelope[];

  const list = async (filter: Partial<auditV1.AuditFilter>, t = tenant) =>
    audit.client.listEvents(
      { filter: auditV1.AuditFilter.fromPartial(filter), page: { cursor: "", limit: 200 } },
      ctx(t),
    );
  const idsOf = async (filter: Partial<auditV1.AuditFilter>) => (await list(filter)).records.map((r) => r.id);
  const ids = (...indexes: number[]) => indexes.map((i) => e[i]!.id);

  beforeAll(async () => {
    backend = await createBackend(dialect, inject("pgUrl"));
    const log = await backend.openLog();
    audit = await startAudit(backend.tc);
    const owner = { kind: "user", id: "01JUSER0000000000000000001" } as const;
    const other = { kind: "user", id: "01JUSER0000000000000000002" } as const;
    e = [
      /* 0 */ event({
        tenant,
        type: "auth.user.created",
        subjectIds: { userId: owner.id },
        actor: { kind: "system", id: "bootstrap" },
        data: { email: "owner@example.com", role: "owner" },
      }),
      /* 1 */ event({
        tenant,
        type: "auth.user.invited",
        subjectIds: { userId: other.id },
        actor: owner,
        data: { userId: other.id, email: "helper@example.com", role: "executor" },
      }),
      /* 2 */ event({
        tenant,
        type: "bundles.bundle.created",
        subjectIds: { bundleId: "B1" },
        actor: owner,
        data: { bundleId: "B1", name: "Family archive" },
      }),
      /* 3 */ event({
        tenant,
        type: "bundles.bundle.updated",
        subjectIds: { bundleId: "B1" },
        actor: owner,
        data: { bundleId: "B1", changes: ["name"], name: "Family 100%_done" },
      }),
      /* 4 */ event({
        tenant,
        type: "auth.recipient.created",
        subjectIds: { recipientId: "R1" },
        actor: owner,
        data: { recipientId: "R1", email: "alice@example.com" },
      }),
      /* 5 */ event({
        tenant,
        type: "bundles.assignment.created",
        subjectIds: { assignmentId: "A1", bundleId: "B1", recipientId: "R1" },
        actor: other,
        data: { assignmentId: "A1", bundleId: "B1", recipientId: "R1" },
      }),
      /* 6 */ event({
        tenant,
        type: "pipelines.pipeline.saved",
        subjectIds: { pipelineId: "P1" },
        actor: owner,
        data: { pipelineId: "P1", name: "share-now", version: 1 },
      }),
      /* 7 */ event({
        tenant,
        type: "pipelines.pipeline.deleted",
        subjectIds: { pipelineId: "P1" },
        actor: owner,
        data: { pipelineId: "P1", name: "share-now" },
      }),
      /* 8: the same name again, a new pipeline */ event({
        tenant,
        type: "pipelines.pipeline.saved",
        subjectIds: { pipelineId: "P2" },
        actor: other,
        data: { pipelineId: "P2", name: "share-now", version: 1 },
      }),
      /* 9 */ event({
        tenant,
        type: "pipelines.run.failed",
        subjectIds: { pipelineId: "P2", runId: "RUN1" },
        actor: { kind: "system", id: "kernel" },
        data: { runId: "RUN1", pipelineId: "P2", name: "share-now", errorCode: "x" },
      }),
      /* 10: a name that only shows in a record's other data, never as a bundle's name */ event({
        tenant,
        type: "bundles.bundle.created",
        subjectIds: { bundleId: "B2" },
        actor: owner,
        data: { bundleId: "B2", name: "Other", note: "Family archive" },
      }),
      /* 11: another tenant's bundle of the same name */ event({
        tenant: "elsewhere",
        type: "bundles.bundle.created",
        subjectIds: { bundleId: "B9" },
        actor: owner,
        data: { bundleId: "B9", name: "Family archive" },
      }),
    ];
    await log.append(e);
  });
  afterAll(async () => {
    await audit?.stop();
    await backend?.cleanup();
  });

  it("filters by a bundle's name, old or new (a rename), never by a name it did not have", async () => {
    expect(await idsOf({ bundleName: "Family archive" })).toEqual(ids(5, 3, 2));
    // LIKE's wildcards in a name match only themselves
    expect(await idsOf({ bundleName: "Family 100%_done" })).toEqual(ids(5, 3, 2));
    expect(await idsOf({ bundleName: "Other" })).toEqual(ids(10));
    // combined with an id of the same subject: both must hold
    expect(await idsOf({ bundleName: "Family archive", bundleId: "B1" })).toEqual(ids(5, 3, 2));
    expect(await idsOf({ bundleName: "Family archive", bundleId: "B2" })).toEqual([]);
  });

  it("filters by a recipient's email (any case), a pipeline's name (every pipeline that had it), a user's email", async () => {
    expect(await idsOf({ recipientEmail: "Alice@Example.com" })).toEqual(ids(5, 4));
    expect(await idsOf({ pipelineName: "share-now" })).toEqual(ids(9, 8, 7, 6));
    expect(await idsOf({ pipelineName: "share-now", typePrefix: "pipelines.run." })).toEqual(ids(9));
    expect(await idsOf({ userEmail: "helper@example.com" })).toEqual(ids(8, 5));
    expect(await idsOf({ userEmail: "owner@example.com", bundleName: "Family archive" })).toEqual(ids(3, 2));
  });

  it("refuses a name nothing ever had, naming the field, and a user together with an actor", async () => {
    const refused = async (filter: Partial<auditV1.AuditFilter>, path: string, t = tenant) => {
      const err = await list(filter, t).catch((x: unknown) => x);
      expect(err).toMatchObject({ code: "validation_failed", details: { issues: [{ path }] } });
      return err as { message: string };
    };
    expect((await refused({ pipelineName: "shared-now" }, "pipeline")).message).toBe(
      "No pipeline named “shared-now” appears in the audit log",
    );
    await refused({ bundleName: "Family" }, "bundle");
    await refused({ bundleName: "Family archive" }, "bundle", "empty-tenant");
    await refused({ recipientEmail: "bob@example.com" }, "recipient");
    await refused({ userEmail: "alice@example.com" }, "user");
    const both = await list({ userEmail: "owner@example.com", actorKind: "system" }).catch((x: unknown) => x);
    expect(both).toMatchObject({ code: "bad_request", details: { field: "user" } });
  });

  it("exports by name too, and refuses an unknown name before any record", async () => {
    const { metadata, options } = audit.client.$callOptions(ctx(tenant));
    const filter = auditV1.AuditFilter.fromPartial({ recipientEmail: "alice@example.com" });
    const records: string[] = [];
    for await (const m of audit.client.$raw.exportEvents(
      { filter },
      metadata,
      options,
    ) as AsyncIterable<auditV1.ExportEventsResponse>)
      records.push(...m.records.map((r) => r.id));
    expect(records).toEqual(ids(4, 5));
    const unknown = audit.client.$raw.exportEvents(
      { filter: auditV1.AuditFilter.fromPartial({ recipientEmail: "nobody@example.com" }) },
      metadata,
      options,
    );
    const err = await (async () => {
      for await (const _ of unknown as AsyncIterable<auditV1.ExportEventsResponse>);
    })().catch((x: unknown) => x);
    expect(err).toMatchObject({ details: expect.stringContaining("recipient") });
  });

  it("labels a page's actors and subjects with the names the log last recorded", async () => {
    const res = await list({});
    expect(res.labels).toEqual({
      "user:01JUSER0000000000000000001": "owner@example.com",
      "user:01JUSER0000000000000000002": "helper@example.com",
      "bundle:B1": "Family 100%_done",
      "bundle:B2": "Other",
      "recipient:R1": "alice@example.com",
      "pipeline:P1": "share-now",
      "pipeline:P2": "share-now",
    });
    // only what the page names
    const one = await list({ typePrefix: "bundles.assignment." });
    expect(one.labels).toEqual({
      "user:01JUSER0000000000000000002": "helper@example.com",
      "bundle:B1": "Family 100%_done",
      "recipient:R1": "alice@example.com",
    });
  });
});
