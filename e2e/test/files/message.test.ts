import { MESSAGE_RULE } from "@latchflow/api";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { finished, pipelineStack, putPipeline, startRun } from "../pipelines/helpers.js";
import { MODES, type Stack } from "../stack.js";
import {
  fetchBytes,
  grantDownload,
  recipientBrowser,
  releasedBundle,
  requestDownload,
  sessionOf,
} from "./helpers.js";

const data = Buffer.from("a letter for later");
const MESSAGE = "Dear Alice,\n\tplease read <b>this</b> first.\n— Dad";

/** The audit records of the first acknowledgements of an assignment. */
async function acknowledgements(s: Stack, recipientId: string) {
  const { items } = await s.client().listAuditRecords({
    query: { type: "bundles.assignment.acknowledged", recipient: recipientId, limit: 200 },
  });
  return items;
}

describe.each(MODES)(
  "the sender's message and acknowledgement (issue 13 item 3) (%s, %s)",
  (dialect, bus) => {
    let s: Stack;
    beforeAll(async () => {
      s = await pipelineStack(dialect, bus, "ack_msg");
    }, 120_000);
    afterAll(async () => {
      await s?.stop();
    });

    it("a download before acknowledging is refused (acknowledgement_required, audited); the first acknowledgement counts once; then the download works", async () => {
      const r = await releasedBundle(s, "ack-flow", [{ name: "a.txt", data }], {
        message: MESSAGE,
        acknowledgementRequired: true,
      });
      const browser = await recipientBrowser(s, r.email);
      const portal = browser.client("recipient");
      const listed = await portal.listPortalBundles();
      expect(listed.items[0]?.assignment).toMatchObject({
        message: MESSAGE,
        acknowledgementRequired: true,
        acknowledgedAt: null,
      });

      const refused = await requestDownload(browser, r.bundleId);
      expect(expectError(refused, 403, "permission_denied").details?.reason).toBe("acknowledgement_required");
      // the refusal takes no download
      const detail = await portal.getPortalBundle({ params: { id: r.bundleId } });
      expect(detail.assignment.used).toBe(0);
      expect(detail.assignment.message).toBe(MESSAGE);

      const first = await portal.acknowledgePortalBundle({ params: { id: r.bundleId } });
      expect(first.acknowledgedAt).not.toBeNull();
      s.advance(5_000);
      const again = await portal.acknowledgePortalBundle({ params: { id: r.bundleId } });
      expect(again.acknowledgedAt).toBe(first.acknowledgedAt);

      const grant = await grantDownload(browser, r.bundleId);
      const dl = await fetchBytes(grant.url, sessionOf(browser));
      expect(dl.status).toBe(200);
      expect(grant.assignment.acknowledgedAt).toBe(first.acknowledgedAt);

      const audited = await waitFor(
        async () => {
          const items = await acknowledgements(s, r.recipientId);
          return items.length ? items : undefined;
        },
        { timeoutMs: 15_000, description: "the audited acknowledgement" },
      );
      // the repeat was not recorded again (give the relay time to deliver one if it existed)
      await new Promise((done) => setTimeout(done, 1_000));
      expect(await acknowledgements(s, r.recipientId)).toHaveLength(1);
      expect(audited[0]?.data).toEqual({
        assignmentId: r.assignmentId,
        bundleId: r.bundleId,
        recipientId: r.recipientId,
      });
      const { items: denied } = await s.client().listAuditRecords({
        query: { type: "bundles.download.denied", recipient: r.recipientId, limit: 200 },
      });
      expect(denied.map((d) => (d.data as { reason?: string }).reason)).toContain("acknowledgement_required");
    }, 60_000);

    it("only the assignment's recipient acknowledges: another recipient 404, an admin token and no session 401, no CSRF header 403", async () => {
      const r = await releasedBundle(s, "ack-who", [{ name: "a.txt", data }], {
        message: "For Alice only",
        acknowledgementRequired: true,
      });
      const other = await releasedBundle(s, "ack-who-other", [{ name: "b.txt", data }]);
      const stranger = await recipientBrowser(s, other.email);
      expectError(
        await stranger.client("recipient").raw.acknowledgePortalBundle({ params: { id: r.bundleId } }),
        404,
        "not_found",
      );
      const admin = await s.client().raw.acknowledgePortalBundle({ params: { id: r.bundleId } });
      expect(admin.status).toBe(401);
      const nobody = await s
        .browser()
        .client("recipient")
        .raw.acknowledgePortalBundle({
          params: { id: r.bundleId },
        });
      expect(nobody.status).toBe(401);

      const owner = await recipientBrowser(s, r.email);
      const noCsrf = await owner.request("POST", `/api/v1/portal/bundles/${r.bundleId}/acknowledgement`);
      expect(noCsrf.status).toBe(403);
      expect((noCsrf.body as { error: { details?: { reason?: string } } }).error.details?.reason).toBe(
        "csrf",
      );
      const bad = await owner
        .client("recipient")
        .raw.acknowledgePortalBundle({ params: { id: "not an id" } });
      expect([404, 422]).toContain(bad.status);
      // none of them acknowledged it
      const mine = await owner.client("recipient").getPortalBundle({ params: { id: r.bundleId } });
      expect(mine.assignment.acknowledgedAt).toBeNull();
      expect(await acknowledgements(s, r.recipientId)).toHaveLength(0);
    }, 60_000);

    it("the message follows MESSAGE_RULE: too long or with control characters 422, CRLF stored as LF; an acknowledgement needs a message", async () => {
      const api = s.client();
      const bundle = await api.createBundle({ body: { name: "ack-rule" } });
      const recipient = await api.createRecipient({ body: { email: "ack-rule@example.com" } });
      const assign = (body: { message?: string; acknowledgementRequired?: boolean }) =>
        api.raw.createAssignment({ params: { id: bundle.id }, body: { recipientId: recipient.id, ...body } });
      expectError(
        await assign({ message: "x".repeat(MESSAGE_RULE.maxLength + 1) }),
        422,
        "validation_failed",
      );
      expectError(await assign({ message: "bell \u0007" }), 422, "validation_failed");
      expectError(await assign({ message: "escape \u001b[31m" }), 422, "validation_failed");
      expectError(await assign({ acknowledgementRequired: true }), 422, "validation_failed");
      // exactly at the limit as sent (CRLF counts two), one less as stored
      const ok = await assign({ message: `${"x".repeat(MESSAGE_RULE.maxLength - 10)}\r\nline two` });
      if (!ok.ok) throw new Error(ok.body.error.message);
      expect(ok.body.message).toBe(`${"x".repeat(MESSAGE_RULE.maxLength - 10)}\nline two`);
      expect(ok.body.acknowledgementRequired).toBe(false);
      const update = (body: { message?: string; acknowledgementRequired?: boolean }) =>
        api.raw.updateAssignment({ params: { id: ok.body.id }, body });
      expectError(
        await update({ message: "x".repeat(MESSAGE_RULE.maxLength + 1) }),
        422,
        "validation_failed",
      );
      expectError(await update({ message: "nul \u0000" }), 422, "validation_failed");
      expectError(await update({ message: "", acknowledgementRequired: true }), 422, "validation_failed");
    });

    it("a changed message needs a new acknowledgement; the same text keeps the one given", async () => {
      const r = await releasedBundle(s, "ack-change", [{ name: "a.txt", data }], {
        message: "First words",
        acknowledgementRequired: true,
      });
      const browser = await recipientBrowser(s, r.email);
      const portal = browser.client("recipient");
      const acked = await portal.acknowledgePortalBundle({ params: { id: r.bundleId } });
      const same = await s.client().updateAssignment({
        params: { id: r.assignmentId },
        body: { message: "First words", maxDownloads: 5 },
      });
      expect(same.acknowledgedAt).toBe(acked.acknowledgedAt);
      const changed = await s.client().updateAssignment({
        params: { id: r.assignmentId },
        body: { message: "Second thoughts" },
      });
      expect(changed.acknowledgedAt).toBeNull();
      const refused = await requestDownload(browser, r.bundleId);
      expect(expectError(refused, 403, "permission_denied").details?.reason).toBe("acknowledgement_required");
      await portal.acknowledgePortalBundle({ params: { id: r.bundleId } });
      expect((await requestDownload(browser, r.bundleId)).status).toBe(201);
      // two distinct acknowledgements (of two messages) are audited
      await waitFor(
        async () => ((await acknowledgements(s, r.recipientId)).length === 2 ? true : undefined),
        { timeoutMs: 15_000, description: "two audited acknowledgements" },
      );
    }, 60_000);

    it("grant@1 with message and requireAcknowledgement in a pipeline run gives the assignment both", async () => {
      const r = await releasedBundle(s, "ack-granted", [{ name: "a.txt", data }]);
      await s.client().createRecipient({ body: { email: "ack-grantee@example.com" } });
      await putPipeline(
        s,
        "ack-grant",
        `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: ack-grant }
spec:
  triggers:
    - id: button
      uses: manual@1
  steps:
    - id: give
      uses: grant@1
      with:
        bundle: ack-granted
        recipients: [ack-grantee@example.com]
        message: "Run {{ run.id }}:\\n<b>read me</b> first."
        requireAcknowledgement: true
`,
      );
      const started = await startRun(s, "ack-grant");
      const run = await finished(s, "ack-grant", started.id);
      expect(run.status, JSON.stringify(run)).toBe("succeeded");
      const { items } = await s.client().listAssignments({ params: { id: r.bundleId } });
      const granted = items.find((a) => a.recipientId !== r.recipientId);
      expect(granted).toMatchObject({
        message: `Run ${started.id}:\n<b>read me</b> first.`,
        acknowledgementRequired: true,
        acknowledgedAt: null,
      });
      const mail = await s.mail.waitFor("ack-grantee@example.com");
      expect(mail.text).toContain("<b>read me</b> first.");
      const browser = await recipientBrowser(s, "ack-grantee@example.com");
      const refused = await requestDownload(browser, r.bundleId);
      expect(expectError(refused, 403, "permission_denied").details?.reason).toBe("acknowledgement_required");
    }, 60_000);
  },
);
