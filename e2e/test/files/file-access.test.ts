// What the admin app's Files and Bundles pages need of the API beyond plain CRUD: a refused file deletion names
// the bundles holding the file (those the caller may read), an executor granted some files lists only those, and
// a user granted one bundle revokes that bundle's publish links.
import type { Client, InputOf, operations } from "@latchflow/api";
import { ConflictReason } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { MODES, type Stack, startStack } from "../stack.js";
import { upload } from "./helpers.js";

describe.each(MODES)("file and link access on %s + %s", (dialect, bus) => {
  let s: Stack;
  let owner: Client;
  let n = 0;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "file_access");
    owner = s.client();
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** A new executor with these grants, signed in (its session's client). */
  async function executor(grants: InputOf<typeof operations.grantPermission>["body"][]) {
    const email = `executor-${++n}-${dialect}@example.com`;
    const user = await owner.inviteUser({ body: { email, role: "executor" } });
    for (const body of grants) await owner.grantPermission({ params: { id: user.id }, body });
    return (await s.signIn(email)).client();
  }

  it("keeps a browser upload's non-ASCII name and folder (multipart filename in UTF-8)", async () => {
    const form = new FormData();
    form.append("folder", "/Briefe/Grüße");
    form.append("file", new Blob(["liebe Anna"], { type: "text/plain" }), "Brief für Anna – 2024.txt");
    const stored = await owner.uploadFile({ body: form });
    expect(stored).toMatchObject({ name: "Brief für Anna – 2024.txt", folder: "/Briefe/Grüße", size: 10 });
  });

  it("a file still in bundles is not deleted, and the refusal names the bundles the caller may read", async () => {
    const file = await upload(s, "report.pdf", Buffer.from("report"), "/reports");
    const a = await owner.createBundle({ body: { name: "Annual report" } });
    const b = await owner.createBundle({ body: { name: "Board pack" } });
    for (const bundle of [a, b]) {
      await owner.setBundleObjects({ params: { id: bundle.id }, body: { objects: [{ fileId: file }] } });
    }

    const refused = expectError(await owner.raw.deleteFile({ params: { id: file } }), 409, "conflict");
    expect(refused.message).toBe(
      "The file is in the bundles “Annual report” and “Board pack”; remove it from them first",
    );
    expect(refused.details).toEqual({
      reason: ConflictReason.FileInBundles,
      bundleIds: expect.arrayContaining([a.id, b.id]),
      bundles: [
        { id: a.id, name: "Annual report" },
        { id: b.id, name: "Board pack" },
      ],
      otherBundles: 0,
    });

    // an executor who may delete the file but read only one of the bundles: the other is counted, not named
    const partial = await executor([
      { action: "files:write", resourceType: "file", resourceId: file },
      { action: "bundles:read", resourceType: "bundle", resourceId: a.id },
    ]);
    const told = expectError(await partial.raw.deleteFile({ params: { id: file } }), 409, "conflict");
    expect(told.message).toBe(
      "The file is in the bundles “Annual report” and 1 other bundle you may not see; remove it from them first",
    );
    expect(told.details).toMatchObject({ bundles: [{ id: a.id, name: "Annual report" }], otherBundles: 1 });
    expect(JSON.stringify(told)).not.toContain("Board pack");
    // and one who may read neither
    const blind = await executor([{ action: "files:write", resourceType: "file", resourceId: file }]);
    const hidden = expectError(await blind.raw.deleteFile({ params: { id: file } }), 409, "conflict");
    expect(hidden.message).toBe("The file is in 2 bundles you may not see; remove it from them first");
    expect(hidden.details).toMatchObject({ bundles: [], otherBundles: 2 });

    // one bundle left: said in the singular; then none, and the file goes
    await owner.setBundleObjects({ params: { id: b.id }, body: { objects: [] } });
    expect(expectError(await owner.raw.deleteFile({ params: { id: file } }), 409, "conflict").message).toBe(
      "The file is in the bundle “Annual report”; remove it from that bundle first",
    );
    await owner.setBundleObjects({ params: { id: a.id }, body: { objects: [] } });
    expect((await owner.deleteFile({ params: { id: file } })).id).toBe(file);
    // without files:write on it, nobody learns anything about its bundles
    const other = await upload(s, "other.txt", Buffer.from("x"));
    await owner.setBundleObjects({ params: { id: a.id }, body: { objects: [{ fileId: other }] } });
    const reader = await executor([{ action: "bundles:read", resourceType: "bundle", resourceId: a.id }]);
    expectError(await reader.raw.deleteFile({ params: { id: other } }), 403, "permission_denied");
  });

  it("an executor granted some files lists only those (search and folder still apply); without grants, 403", async () => {
    const mine = await upload(s, "mine.txt", Buffer.from("mine"), "/shared");
    const also = await upload(s, "also-mine.txt", Buffer.from("also"), "/elsewhere");
    const notMine = await upload(s, "not-mine.txt", Buffer.from("no"), "/shared");
    const granted = await executor([
      { action: "files:read", resourceType: "file", resourceId: mine },
      { action: "files:read", resourceType: "file", resourceId: also },
    ]);
    const all = await granted.listFiles();
    expect(all.items.map((f) => f.id).sort()).toEqual([mine, also].sort());
    expect((await granted.listFiles({ query: { folder: "/shared" } })).items.map((f) => f.id)).toEqual([
      mine,
    ]);
    expect((await granted.listFiles({ query: { q: "ALSO" } })).items.map((f) => f.id)).toEqual([also]);
    // pages of one: the cursor walks the granted files only
    const first = await granted.listFiles({ query: { limit: 1 } });
    expect(first.nextCursor).not.toBeNull();
    const second = await granted.listFiles({ query: { limit: 1, cursor: first.nextCursor! } });
    expect([...first.items, ...second.items].map((f) => f.id).sort()).toEqual([mine, also].sort());
    expect(second.nextCursor).toBeNull();
    expectError(await granted.raw.getFile({ params: { id: notMine } }), 403, "permission_denied");
    expectError(await granted.raw.listFiles({ query: { limit: 0 } }), 422, "validation_failed");

    const none = await executor([]);
    expectError(await none.raw.listFiles(), 403, "permission_denied");
    // the owner still sees everything
    const ids = (await owner.listFiles({ query: { limit: 200 } })).items.map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining([mine, also, notMine]));
  });

  it("a user granted one bundle revokes that bundle's links through it, and no other's", async () => {
    const file = await upload(s, "published.txt", Buffer.from("published"));
    const a = await owner.createBundle({ body: { name: "Links A" } });
    const b = await owner.createBundle({ body: { name: "Links B" } });
    for (const bundle of [a, b]) {
      await owner.setBundleObjects({ params: { id: bundle.id }, body: { objects: [{ fileId: file }] } });
    }
    const linkA = await owner.createPublishLink({ params: { id: a.id }, body: { expiresInSeconds: 3600 } });
    const linkB = await owner.createPublishLink({ params: { id: b.id }, body: { expiresInSeconds: 3600 } });
    const writer = await executor([
      { action: "bundles:read", resourceType: "bundle", resourceId: a.id },
      { action: "bundles:write", resourceType: "bundle", resourceId: a.id },
      { action: "files:read", resourceType: "file", resourceId: file },
    ]);

    // the collection-wide route needs bundles:write on every bundle
    expectError(
      await writer.raw.revokePublishLink({ params: { id: linkA.link.id } }),
      403,
      "permission_denied",
    );
    // another bundle's link: not through a bundle it may not write, and not found through its own
    expectError(
      await writer.raw.revokeBundlePublishLink({ params: { id: b.id, linkId: linkB.link.id } }),
      403,
      "permission_denied",
    );
    expectError(
      await writer.raw.revokeBundlePublishLink({ params: { id: a.id, linkId: linkB.link.id } }),
      404,
      "not_found",
    );
    expectError(
      await writer.raw.revokeBundlePublishLink({ params: { id: a.id, linkId: "nope" } }),
      422,
      "validation_failed",
    );
    const listedB = await owner.listPublishLinks({ params: { id: b.id } });
    expect(listedB.items[0]!.revokedAt).toBeNull();

    const revoked = await writer.revokeBundlePublishLink({ params: { id: a.id, linkId: linkA.link.id } });
    expect(revoked).toMatchObject({ id: linkA.link.id, bundleId: a.id });
    expect(revoked.revokedAt).not.toBeNull();
    expect((await fetch(linkA.url)).status).toBe(404);
    expect((await fetch(linkB.url)).status).toBe(200);
    // revoking again changes nothing
    const again = await writer.revokeBundlePublishLink({ params: { id: a.id, linkId: linkA.link.id } });
    expect(again.revokedAt).toBe(revoked.revokedAt);
    // a reader of the bundle may not revoke
    const reader = await executor([{ action: "bundles:read", resourceType: "bundle", resourceId: b.id }]);
    expectError(
      await reader.raw.revokeBundlePublishLink({ params: { id: b.id, linkId: linkB.link.id } }),
      403,
      "permission_denied",
    );
  });
});
