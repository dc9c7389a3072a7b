import type { Client, Scope } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { MODES, type Stack, startStack } from "../stack.js";
import { fetchBytes, grantDownload, recipientBrowser, releasedBundle, sessionOf } from "./helpers.js";

/**
 * An assignment's download log for admins (GET /api/v1/assignments/{id}/downloads), the bundles assigned to a
 * recipient (GET /api/v1/recipients/{id}/assignments), and operations on one assignment authorized on its own
 * bundle (ADR 029): an executor acts only on the assignments of bundles it was granted.
 */
describe.each(MODES)("assignment downloads and access on %s + %s", (dialect, bus) => {
  let s: Stack;
  let owner: Client;
  let executor: Client;
  let executorId: string;
  let mine: Awaited<ReturnType<typeof releasedBundle>>;
  let theirs: Awaited<ReturnType<typeof releasedBundle>>;

  const grant = (action: Scope, resourceType: "bundle" | "recipient", resourceId: string) =>
    owner.grantPermission({ params: { id: executorId }, body: { action, resourceType, resourceId } });

  beforeAll(async () => {
    s = await startStack(dialect, bus, "asgdl");
    owner = s.client();
    mine = await releasedBundle(s, "executor bundle", [{ name: "a.bin", data: Buffer.alloc(70_000, 7) }], {
      maxDownloads: 5,
    });
    theirs = await releasedBundle(s, "other bundle", [{ name: "b.bin", data: Buffer.alloc(1_000, 8) }]);
    const email = `asg-executor-${dialect}@example.com`;
    executorId = (await owner.inviteUser({ body: { email, role: "executor" } })).id;
    executor = (await s.signIn(email)).client();
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
  });

  it("lists an assignment's downloads newest first: when, which device, the size, and whether it completed", async () => {
    expect((await owner.listAssignmentDownloads({ params: { id: mine.assignmentId } })).items).toEqual([]);
    const browser = await recipientBrowser(s, mine.email);
    const first = await grantDownload(browser, mine.bundleId);
    const whole = await fetchBytes(first.url, sessionOf(browser));
    expect(whole.status).toBe(200);
    // a second download from the same browser, only begun
    const second = await grantDownload(browser, mine.bundleId);
    const head = await fetchBytes(second.url, { ...sessionOf(browser), range: "bytes=0-999" });
    expect(head.status).toBe(206);
    await expect
      .poll(async () => (await owner.listAssignmentDownloads({ params: { id: mine.assignmentId } })).items, {
        timeout: 10_000,
      })
      .toMatchObject([
        { completedAt: null, bytesSent: 1000, size: whole.body.length, newDevice: false },
        { bytesSent: whole.body.length, size: whole.body.length, newDevice: true, deviceName: null },
      ]);
    const log = await owner.listAssignmentDownloads({ params: { id: mine.assignmentId } });
    expect(log.items[1]!.completedAt).not.toBeNull();
    expect(log.items[0]!.userAgent).toBe(log.items[1]!.userAgent);

    // the recipient names the device: the log says which one
    const portal = browser.client("recipient");
    const device = (await portal.listPortalDevices()).items.find((d) => d.current)!;
    await portal.renamePortalDevice({ params: { id: device.id }, body: { name: "Work laptop" } });
    const named = await owner.listAssignmentDownloads({ params: { id: mine.assignmentId } });
    expect(named.items.map((d) => d.deviceName)).toEqual(["Work laptop", "Work laptop"]);

    // pages
    const one = await owner.listAssignmentDownloads({
      params: { id: mine.assignmentId },
      query: { limit: 1 },
    });
    expect(one.items.map((d) => d.id)).toEqual([log.items[0]!.id]);
    const two = await owner.listAssignmentDownloads({
      params: { id: mine.assignmentId },
      query: { limit: 1, cursor: one.nextCursor! },
    });
    expect(two.items.map((d) => d.id)).toEqual([log.items[1]!.id]);
    // another assignment's log holds none of these
    expect((await owner.listAssignmentDownloads({ params: { id: theirs.assignmentId } })).items).toEqual([]);
  });

  it("an executor reads and changes only the assignments of bundles it was granted", async () => {
    // nothing granted: refused everywhere
    expectError(
      await executor.raw.listAssignmentDownloads({ params: { id: mine.assignmentId } }),
      403,
      "permission_denied",
    );
    expectError(
      await executor.raw.updateAssignment({ params: { id: mine.assignmentId }, body: { maxDownloads: 9 } }),
      403,
      "permission_denied",
    );
    await grant("bundles:read", "bundle", mine.bundleId);
    await grant("bundles:write", "bundle", mine.bundleId);
    expect((await executor.raw.listAssignmentDownloads({ params: { id: mine.assignmentId } })).status).toBe(
      200,
    );
    const changed = await executor.updateAssignment({
      params: { id: mine.assignmentId },
      body: { maxDownloads: 9 },
    });
    expect(changed.maxDownloads).toBe(9);
    // another bundle's assignment: refused, unchanged
    expectError(
      await executor.raw.listAssignmentDownloads({ params: { id: theirs.assignmentId } }),
      403,
      "permission_denied",
    );
    expectError(
      await executor.raw.updateAssignment({ params: { id: theirs.assignmentId }, body: { enabled: false } }),
      403,
      "permission_denied",
    );
    expectError(
      await executor.raw.deleteAssignment({ params: { id: theirs.assignmentId } }),
      403,
      "permission_denied",
    );
    const other = await owner.listAssignments({ params: { id: theirs.bundleId } });
    expect(other.items[0]).toMatchObject({ id: theirs.assignmentId, enabled: true });
    // unknown and malformed ids
    expectError(
      await owner.raw.listAssignmentDownloads({ params: { id: "0".repeat(26) } }),
      404,
      "not_found",
    );
    expectError(
      await owner.raw.listAssignmentDownloads({ params: { id: "nope" } }),
      422,
      "validation_failed",
    );
    // a recipient's session is not an admin's
    const browser = await recipientBrowser(s, theirs.email);
    expectError(
      await browser.client("recipient").raw.listAssignmentDownloads({ params: { id: theirs.assignmentId } }),
      401,
      "unauthenticated",
    );
  });

  it("an explicit deny on a bundle holds on its assignments, even for an admin", async () => {
    const email = `asg-admin-${dialect}@example.com`;
    const admin = await owner.inviteUser({ body: { email, role: "admin" } });
    const client = (await s.signIn(email)).client();
    const bundle = await releasedBundle(s, "denied bundle", [{ name: "c.bin", data: Buffer.alloc(10, 1) }]);
    expect((await client.raw.listAssignmentDownloads({ params: { id: bundle.assignmentId } })).status).toBe(
      200,
    );
    for (const action of ["bundles:read", "bundles:write"] as const) {
      await owner.grantPermission({
        params: { id: admin.id },
        body: { action, resourceType: "bundle", resourceId: bundle.bundleId, effect: "deny" },
      });
    }
    expectError(
      await client.raw.listAssignmentDownloads({ params: { id: bundle.assignmentId } }),
      403,
      "permission_denied",
    );
    expectError(
      await client.raw.deleteAssignment({ params: { id: bundle.assignmentId } }),
      403,
      "permission_denied",
    );
    expect((await owner.listAssignments({ params: { id: bundle.bundleId } })).items).toHaveLength(1);
  });

  it("lists the bundles assigned to a recipient, only those the caller may read", async () => {
    const r = await owner.createRecipient({ body: { email: `both-${dialect}@example.com` } });
    await owner.createAssignment({
      params: { id: mine.bundleId },
      body: { recipientId: r.id, maxDownloads: 2 },
    });
    await owner.createAssignment({ params: { id: theirs.bundleId }, body: { recipientId: r.id } });
    const all = await owner.listRecipientAssignments({ params: { id: r.id } });
    expect(all.items.map((a) => [a.bundleName, a.maxDownloads])).toEqual([
      ["executor bundle", 2],
      ["other bundle", 0],
    ]);
    // the executor may not read recipients yet
    expectError(
      await executor.raw.listRecipientAssignments({ params: { id: r.id } }),
      403,
      "permission_denied",
    );
    await grant("recipients:read", "recipient", r.id);
    const seen = await executor.listRecipientAssignments({ params: { id: r.id } });
    expect(seen.items.map((a) => a.bundleId)).toEqual([mine.bundleId]);
    expectError(
      await owner.raw.listRecipientAssignments({ params: { id: "0".repeat(26) } }),
      404,
      "not_found",
    );
  });
});
