import type { Client } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recipientBrowser } from "../files/helpers.js";
import { expectError } from "../http.js";
import { pipelineStack } from "../pipelines/helpers.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { type Activity, seedActivity } from "./activity.js";
import { csvRows } from "./helpers.js";

/**
 * ADR 032 over REST: audit filters by name (bundle, recipient email, pipeline, user email) and the dashboard's
 * figures, scoped by what the caller may see.
 */
describe.each(MODES)("audit names and dashboard figures on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  let a: Activity;
  let executor: Client;
  beforeAll(async () => {
    s = await pipelineStack(dialect, bus, "audit_names");
    api = s.client();
    a = await seedActivity(s);
    const executorId = (await api.inviteUser({ body: { email: "keeper@example.com", role: "executor" } })).id;
    for (const [action, resourceType, resourceId] of [
      ["bundles:read", "bundle", a.family.id],
      ["recipients:read", "recipient", a.bob.id],
      ["pipelines:write", "pipeline", a.legacy.name],
    ] as const)
      await api.grantPermission({ params: { id: executorId }, body: { action, resourceType, resourceId } });
    executor = (await s.signIn("keeper@example.com")).client();
  }, 240_000);
  afterAll(async () => {
    await s?.stop();
  });

  it("filters the audit log by names as well as ids, and refuses a name nothing had", async () => {
    const types = async (query: Record<string, string>) =>
      (await api.listAuditRecords({ query: { ...query, limit: 200 } })).items.map((r) => r.type);

    const byName = await api.listAuditRecords({ query: { pipeline: a.failing.name, limit: 200 } });
    expect(byName.items.map((r) => r.type)).toEqual(
      expect.arrayContaining(["pipelines.pipeline.saved", "pipelines.run.failed"]),
    );
    expect(
      byName.items.every((r) => r.subjectIds.pipelineId === byName.items[0]!.subjectIds.pipelineId),
    ).toBe(true);
    // the same records by the pipeline's id
    const byId = await api.listAuditRecords({
      query: { pipeline: byName.items[0]!.subjectIds.pipelineId!, limit: 200 },
    });
    expect(byId.items.map((r) => r.id)).toEqual(byName.items.map((r) => r.id));
    expect(byName.labels[`pipeline:${byName.items[0]!.subjectIds.pipelineId}`]).toBe(a.failing.name);

    const family = await api.listAuditRecords({ query: { bundle: a.family.name, limit: 200 } });
    expect(family.items.every((r) => r.subjectIds.bundleId === a.family.id)).toBe(true);
    expect(family.items.filter((r) => r.type === "bundles.download.granted")).toHaveLength(3);
    expect(family.labels[`bundle:${a.family.id}`]).toBe(a.family.name);
    expect(
      await types({ recipient: a.alice.email.toUpperCase(), type: "bundles.download.granted" }),
    ).toHaveLength(3);
    const ownerId = (await api.getMe()).id;
    const mine = await api.listAuditRecords({ query: { user: OWNER_EMAIL, type: "bundles.", limit: 200 } });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((r) => r.actor.kind === "user" && r.actor.id === ownerId)).toBe(true);
    expect(mine.labels[`user:${ownerId}`]).toBe(OWNER_EMAIL);

    // a list can start at one record (a link to it): it and the older ones
    const at = await api.listAuditRecords({ query: { seq: 3, limit: 2 } });
    expect(at.items.map((r) => r.seq)).toEqual([3, 2]);
    expectError(await api.raw.listAuditRecords({ query: { seq: 0 } }), 422, "validation_failed");

    // a typo is a 422 at the field, not an empty page
    const typo = expectError(
      await api.raw.listAuditRecords({ query: { pipeline: "shared-now" } }),
      422,
      "validation_failed",
    );
    expect(typo.details).toMatchObject({ issues: [{ path: "pipeline" }] });
    expect(typo.message).toContain("shared-now");
    expectError(await api.raw.listAuditRecords({ query: { bundle: "Nope" } }), 422, "validation_failed");
    expectError(
      await api.raw.listAuditRecords({ query: { user: OWNER_EMAIL, actor: "system" } }),
      422,
      "validation_failed",
    );
    expectError(
      await api.raw.listAuditRecords({ query: { recipient: "not an address" } }),
      422,
      "validation_failed",
    );
    // the export takes the same names, and refuses the same typos
    const csv = await (
      await api.exportAuditRecords({ query: { format: "csv", bundle: a.family.name } })
    ).text();
    const rows = csvRows(csv);
    expect(rows.length - 1).toBe(family.items.length);
    expectError(await api.raw.exportAuditRecords({ query: { bundle: "Nope" } }), 422, "validation_failed");
    // who may not read the audit log may not filter it by name either
    expectError(
      await executor.raw.listAuditRecords({ query: { bundle: a.family.name } }),
      403,
      "permission_denied",
    );
  });

  it("answers the dashboard's figures, scoped to what the caller may see", async () => {
    const all = await api.getStatsOverview();
    expect(all.scope).toEqual({ bundles: "all", pipelines: "all" });
    expect(all.daily).toHaveLength(30);
    const today = all.daily.at(-1)!;
    expect(today.date).toBe(all.to.slice(0, 10));
    expect(today).toMatchObject({ releases: 3, downloads: 4 });
    expect(all.totals).toEqual({ releases: 3, downloads: 4 });
    expect(all.topBundles).toEqual([
      { id: a.family.id, name: a.family.name, releases: 2, downloads: 3 },
      { id: a.work.id, name: a.work.name, releases: 1, downloads: 1 },
    ]);
    expect(all.topRecipients).toEqual([
      { id: a.alice.id, email: a.alice.email, releases: 2, downloads: 3 },
      { id: a.bob.id, email: a.bob.email, releases: 1, downloads: 1 },
    ]);
    expect(all.deadlines).toEqual([
      expect.objectContaining({ pipeline: a.legacy.name, trigger: "switch", uses: "deadman@1" }),
    ]);
    const due = new Date(all.deadlines[0]!.dueAt).getTime() - Date.now();
    expect(due).toBeGreaterThan(11 * 86_400_000);
    expect(due).toBeLessThan(13 * 86_400_000);
    expect(all.failedRuns).toEqual([
      expect.objectContaining({ id: a.failing.runId, pipeline: a.failing.name, errorCode: "not_found" }),
    ]);
    expect(all.failedTotal).toBe(1);
    const short = await api.getStatsOverview({ query: { days: 7, top: 1 } });
    expect(short.daily).toHaveLength(7);
    expect(short.topBundles.map((b) => b.id)).toEqual([a.family.id]);

    // the executor: only the family archive (alice's address hidden: no recipients:read on her), only legacy
    const mine = await executor.getStatsOverview();
    expect(mine.scope).toEqual({ bundles: "granted", pipelines: "granted" });
    expect(mine.totals).toEqual({ releases: 2, downloads: 3 });
    expect(mine.topBundles).toEqual([{ id: a.family.id, name: a.family.name, releases: 2, downloads: 3 }]);
    expect(mine.topRecipients).toEqual([
      { id: a.alice.id, email: null, releases: 1, downloads: 2 },
      { id: a.bob.id, email: a.bob.email, releases: 1, downloads: 1 },
    ]);
    expect(mine.deadlines.map((d) => d.pipeline)).toEqual([a.legacy.name]);
    expect(mine.failedRuns).toEqual([]);
    expect(mine.failedTotal).toBe(0);

    // who may see neither part, and who is not a user, may not call it
    const narrow = await api.createToken({ body: { name: "audit only", scopes: ["audit:read"] } });
    expectError(await s.client(narrow.token).raw.getStatsOverview(), 403, "permission_denied");
    // (a new recipient: bob signed in moments ago, and a second code so soon is throttled)
    const carol = await api.createRecipient({ body: { email: "carol@example.com" } });
    const recipient = await recipientBrowser(s, carol.email);
    const refused = await recipient.client("recipient").raw.getStatsOverview();
    expect([401, 403]).toContain(refused.status);
    expectError(await s.client("lf_nope_nope").raw.getStatsOverview(), 401, "unauthenticated");
    expectError(await api.raw.getStatsOverview({ query: { days: 0 } }), 422, "validation_failed");
    expectError(await api.raw.getStatsOverview({ query: { days: 91 } }), 422, "validation_failed");
    expectError(await api.raw.getStatsOverview({ query: { top: 21 } }), 422, "validation_failed");
  });
});
