import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { schemas } from "@latchflow/api";
import { packPlugin } from "@latchflow/plugin-sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recipientBrowser, sessionOf } from "../files/helpers.js";
import { MODES, OWNER_EMAIL, type Stack, startStack } from "../stack.js";
import { auditAll, dataOf, recorded } from "./helpers.js";

/** A small third-party plugin (`echo@1`), packed once per file. */
const packed = (async () => {
  const dir = mkdtempSync(join(tmpdir(), "lf-audit-plugin-"));
  const out = await packPlugin({
    dir: fileURLToPath(new URL("../pipelines/fixtures/echo-v1", import.meta.url)),
    outFile: join(dir, "echo.tgz"),
  });
  return readFileSync(out.file);
})();

/**
 * One operator session through HTTP, step by step; each step waits until its event is audited before the
 * next one starts, so the chain order is the order of the steps (services publish independently).
 */
describe.each(MODES)("audit trail of a scripted scenario on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "audit_scn");
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("records every step with the right actor and ids, in order", async () => {
    const ownerId = (await s.client().getMe()).id;
    const owner = { kind: "user", id: ownerId };
    const steps: { name: string; record: schemas.AuditRecord }[] = [];
    const step = async (name: string, type: string, match: (r: schemas.AuditRecord) => boolean) => {
      steps.push({ name, record: await recorded(s, type, match) });
    };
    const byType = (type: string) => {
      const hit = steps.find((x) => x.record.type === type);
      if (!hit) throw new Error(`no ${type} step yet`);
      return hit.record;
    };

    // 1. the owner signs in (magic link) and creates an API token from the session
    const browser = await s.signIn(OWNER_EMAIL);
    await step("sign in", "auth.signin.succeeded", (r) => r.subjectIds.userId === ownerId);
    const token = await browser.client("user").createToken({
      body: { name: `audit-${randomBytes(3).toString("hex")}` },
    });
    await step("create token", "auth.token.created", (r) => r.subjectIds.tokenId === token.info.id);
    const api = s.client(token.token);

    // 2. with that token: upload a file, create a bundle, put the file in, create a recipient, assign
    const fileId = (
      await api.uploadFile({
        body: randomBytes(2000),
        contentType: "application/octet-stream",
        headers: { "x-file-name": "a.txt" },
      })
    ).id;
    await step("upload", "files.file.created", (r) => r.subjectIds.fileId === fileId);
    const bundle = await api.createBundle({ body: { name: `audited-${randomBytes(3).toString("hex")}` } });
    await step("create bundle", "bundles.bundle.created", (r) => r.subjectIds.bundleId === bundle.id);
    await api.setBundleObjects({ params: { id: bundle.id }, body: { objects: [{ fileId }] } });
    await step("fill bundle", "bundles.bundle.content-changed", (r) => r.subjectIds.bundleId === bundle.id);
    const email = `heir-${randomBytes(3).toString("hex")}@example.com`;
    const recipient = await api.createRecipient({ body: { email } });
    await step(
      "create recipient",
      "auth.recipient.created",
      (r) => r.subjectIds.recipientId === recipient.id,
    );
    const assignmentId = (
      await api.createAssignment({ params: { id: bundle.id }, body: { recipientId: recipient.id } })
    ).id;
    await step("assign", "bundles.assignment.created", (r) => r.subjectIds.assignmentId === assignmentId);

    // 3. the recipient signs in with a one-time code and downloads
    const portal = await recipientBrowser(s, email);
    await step("recipient sign in", "auth.otp.verified", (r) => r.subjectIds.recipientId === recipient.id);
    const grant = await portal
      .client("recipient")
      .consumePortalDownload({ params: { id: bundle.id }, body: {} });
    await step("grant download", "bundles.download.granted", (r) => r.subjectIds.bundleId === bundle.id);
    const archive = await fetch(grant.url, { headers: sessionOf(portal) });
    expect(archive.status).toBe(200);
    await archive.arrayBuffer();
    await step("download", "bundles.download.started", (r) => r.subjectIds.bundleId === bundle.id);

    // 4. install a plugin, enable its capability, apply a pipeline that uses it, run it by hand
    const tarball = await packed;
    await api.installPlugin({ body: tarball, contentType: "application/gzip" });
    await step(
      "install plugin",
      "plugins.plugin.installed",
      (r) => r.subjectIds.plugin === "latchflow-plugin-echo",
    );
    await api.updatePlugin({
      params: { name: "latchflow-plugin-echo" },
      body: { capabilities: { "latchflow-plugin-echo/echo@1": true } },
    });
    await step(
      "enable capability",
      "plugins.plugin.updated",
      (r) => r.subjectIds.plugin === "latchflow-plugin-echo",
    );
    await api.putPipeline({
      params: { name: "audited" },
      contentType: "application/yaml",
      body: `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: audited }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - { id: say, uses: latchflow-plugin-echo/echo@1, with: { text: hello } }
`,
    });
    await step("apply pipeline", "pipelines.pipeline.saved", (r) => dataOf(r).name === "audited");
    const pipelineId = byType("pipelines.pipeline.saved").subjectIds.pipelineId!;
    const runId = (
      await api.startPipelineRun({ params: { name: "audited" }, body: { payload: { why: "audit" } } })
    ).id;
    await step("trigger fired", "pipelines.trigger.fired", (r) => r.subjectIds.runId === runId);
    await step("run started", "pipelines.run.started", (r) => r.subjectIds.runId === runId);
    await step("step started", "pipelines.step.started", (r) => r.subjectIds.runId === runId);
    await step("step succeeded", "pipelines.step.succeeded", (r) => r.subjectIds.runId === runId);
    await step("run succeeded", "pipelines.run.succeeded", (r) => r.subjectIds.runId === runId);

    const byName = Object.fromEntries(steps.map((x) => [x.name, x.record]));
    const run = { kind: "pipeline_run", id: runId };
    expect(byName["install plugin"]).toMatchObject({
      actor: owner,
      data: { name: "latchflow-plugin-echo", version: "1.0.0" },
    });
    expect(byName["enable capability"]).toMatchObject({ actor: owner });
    expect(byName["apply pipeline"]).toMatchObject({ actor: owner, subjectIds: { pipelineId } });
    // a manual run fires on behalf of the user; what the run then does is the run's own doing
    expect(byName["trigger fired"]).toMatchObject({
      actor: owner,
      subjectIds: { pipelineId, triggerId: "go" },
    });
    for (const name of ["run started", "step started", "step succeeded", "run succeeded"]) {
      expect(byName[name], name).toMatchObject({ actor: run, subjectIds: { pipelineId, runId } });
    }
    expect(byName["step started"]).toMatchObject({
      data: { stepId: "say", uses: "latchflow-plugin-echo/echo@1", attempt: 1 },
    });
    const pipelineTrail = await auditAll(s, { pipeline: pipelineId });
    expect(pipelineTrail.map((r) => r.type).reverse()).toEqual([
      "pipelines.pipeline.saved",
      "pipelines.trigger.fired",
      "pipelines.run.started",
      "pipelines.step.started",
      "pipelines.step.succeeded",
      "pipelines.run.succeeded",
    ]);
    expect((await auditAll(s, { actor: `pipeline_run:${runId}` })).map((r) => r.id).sort()).toEqual(
      ["run started", "step started", "step succeeded", "run succeeded"].map((n) => byName[n]!.id).sort(),
    );
    expect(byName["sign in"]).toMatchObject({ actor: owner, subjectIds: { userId: ownerId } });
    expect(byName["create token"]).toMatchObject({
      actor: owner,
      subjectIds: { tokenId: token.info.id, userId: ownerId },
    });
    // calls with an API token are attributed to the user behind the token
    expect(byName.upload).toMatchObject({ actor: owner, data: { fileId, size: 2000 } });
    expect(byName["create bundle"]).toMatchObject({ actor: owner, subjectIds: { bundleId: bundle.id } });
    expect(byName["fill bundle"]).toMatchObject({ actor: owner, data: { files: 1 } });
    expect(byName["create recipient"]).toMatchObject({ actor: owner, data: { email } });
    expect(byName.assign).toMatchObject({
      actor: owner,
      subjectIds: { assignmentId, bundleId: bundle.id, recipientId: recipient.id },
    });
    const heir = { kind: "recipient", id: recipient.id };
    expect(byName["recipient sign in"]).toMatchObject({ actor: heir });
    expect(byName["grant download"]).toMatchObject({
      actor: heir,
      subjectIds: { bundleId: bundle.id, recipientId: recipient.id, assignmentId },
      data: { assignmentId },
    });
    expect(byName.download).toMatchObject({
      subjectIds: { bundleId: bundle.id, recipientId: recipient.id, assignmentId },
      data: { via: "grant" },
    });
    expect((await auditAll(s, { assignment: assignmentId })).map((r) => r.type)).toEqual(
      expect.arrayContaining([
        "bundles.assignment.created",
        "bundles.download.granted",
        "bundles.download.started",
      ]),
    );

    // in the chain, in the order of the steps, and the log lists them newest first
    const seqs = steps.map((x) => x.record.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const log = await auditAll(s);
    expect(log.map((r) => r.seq)).toEqual(log.map((_, i) => log.length - i));
    const order = log.map((r) => r.id).reverse();
    expect(steps.map((x) => order.indexOf(x.record.id))).toEqual(seqs.map((q) => q - 1));

    // the recipient's trail, by filter
    const trail = await auditAll(s, { recipient: recipient.id });
    expect(trail.map((r) => r.type)).toEqual(
      expect.arrayContaining([
        "bundles.download.granted",
        "bundles.assignment.created",
        "auth.recipient.created",
      ]),
    );
    for (const r of trail) expect(r.subjectIds.recipientId).toBe(recipient.id);
    const byHeir = await auditAll(s, { actor: `recipient:${recipient.id}` });
    expect(byHeir.map((r) => r.id)).toEqual(expect.arrayContaining([byName["grant download"]!.id]));
    for (const r of byHeir) expect(r.actor).toEqual(heir);

    // and the chain verifies
    expect(await s.client().verifyAuditChain()).toMatchObject({ ok: true, checked: log.length });
  });
});
