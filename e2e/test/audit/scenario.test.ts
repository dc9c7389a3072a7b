import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packPlugin } from "@latchflow/plugin-sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recipientBrowser, sessionOf } from "../files/helpers.js";
import { http } from "../http.js";
import { MODES, OWNER_EMAIL, OWNER_TOKEN, type Stack, startStack } from "../stack.js";
import { type AuditItem, auditAll, recorded } from "./helpers.js";

interface Ids {
  id: string;
}

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
    const ownerId = ((await s.api("GET", "/api/v1/auth/me")).body as Ids).id;
    const owner = { kind: "user", id: ownerId };
    const steps: { name: string; record: AuditItem }[] = [];
    const step = async (name: string, type: string, match: (r: AuditItem) => boolean) => {
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
    const created = await browser.request("POST", "/api/v1/tokens", {
      json: { name: `audit-${randomBytes(3).toString("hex")}` },
      csrf: "user",
    });
    expect(created.status, created.text).toBe(201);
    const token = created.body as { token: string; info: Ids };
    await step("create token", "auth.token.created", (r) => r.subjectIds.tokenId === token.info.id);
    const api = (method: string, path: string, json?: unknown) =>
      http(s.base, method, path, { token: token.token, ...(json === undefined ? {} : { json }) });

    // 2. with that token: upload a file, create a bundle, put the file in, create a recipient, assign
    const uploaded = await http(s.base, "POST", "/api/v1/files", {
      token: token.token,
      body: randomBytes(2000),
      headers: { "content-type": "application/octet-stream", "x-file-name": "a.txt" },
    });
    expect(uploaded.status, uploaded.text).toBe(201);
    const fileId = (uploaded.body as Ids).id;
    await step("upload", "files.file.created", (r) => r.subjectIds.fileId === fileId);
    const bundle = (
      await api("POST", "/api/v1/bundles", { name: `audited-${randomBytes(3).toString("hex")}` })
    ).body as Ids;
    await step("create bundle", "bundles.bundle.created", (r) => r.subjectIds.bundleId === bundle.id);
    expect((await api("PUT", `/api/v1/bundles/${bundle.id}/objects`, { objects: [{ fileId }] })).status).toBe(
      200,
    );
    await step("fill bundle", "bundles.bundle.content-changed", (r) => r.subjectIds.bundleId === bundle.id);
    const email = `heir-${randomBytes(3).toString("hex")}@example.com`;
    const recipient = (await api("POST", "/api/v1/recipients", { email })).body as Ids;
    await step(
      "create recipient",
      "auth.recipient.created",
      (r) => r.subjectIds.recipientId === recipient.id,
    );
    const assignment = await api("POST", `/api/v1/bundles/${bundle.id}/assignments`, {
      recipientId: recipient.id,
    });
    expect(assignment.status, assignment.text).toBe(201);
    const assignmentId = (assignment.body as Ids).id;
    await step("assign", "bundles.assignment.created", (r) => r.subjectIds.assignmentId === assignmentId);

    // 3. the recipient signs in with a one-time code and downloads
    const portal = await recipientBrowser(s, email);
    await step("recipient sign in", "auth.otp.verified", (r) => r.subjectIds.recipientId === recipient.id);
    const grant = await portal.request("POST", `/api/v1/portal/bundles/${bundle.id}/downloads`, {
      json: {},
      csrf: "recipient",
    });
    expect(grant.status, grant.text).toBe(201);
    await step("grant download", "bundles.download.granted", (r) => r.subjectIds.bundleId === bundle.id);
    const archive = await fetch((grant.body as { url: string }).url, { headers: sessionOf(portal) });
    expect(archive.status).toBe(200);
    await archive.arrayBuffer();
    await step("download", "bundles.download.started", (r) => r.subjectIds.bundleId === bundle.id);

    // 4. install a plugin, enable its capability, apply a pipeline that uses it, run it by hand
    const tarball = await packed;
    const installed = await http(s.base, "POST", "/api/v1/plugins", {
      token: token.token,
      body: tarball,
      headers: { "content-type": "application/gzip" },
    });
    expect(installed.status, installed.text).toBe(201);
    await step(
      "install plugin",
      "plugins.plugin.installed",
      (r) => r.subjectIds.plugin === "latchflow-plugin-echo",
    );
    expect(
      (
        await api("PATCH", "/api/v1/plugins/latchflow-plugin-echo", {
          capabilities: { "latchflow-plugin-echo/echo@1": true },
        })
      ).status,
    ).toBe(200);
    await step(
      "enable capability",
      "plugins.plugin.updated",
      (r) => r.subjectIds.plugin === "latchflow-plugin-echo",
    );
    const applied = await http(s.base, "PUT", "/api/v1/pipelines/audited", {
      token: token.token,
      body: `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: audited }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - { id: say, uses: latchflow-plugin-echo/echo@1, with: { text: hello } }
`,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.status, applied.text).toBe(200);
    await step("apply pipeline", "pipelines.pipeline.saved", (r) => r.data.name === "audited");
    const pipelineId = byType("pipelines.pipeline.saved").subjectIds.pipelineId as string;
    const started = await api("POST", "/api/v1/pipelines/audited/runs", { payload: { why: "audit" } });
    expect(started.status, started.text).toBe(202);
    const runId = (started.body as Ids).id;
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
    const pipelineTrail = await auditAll(s, `pipeline=${pipelineId}`);
    expect(pipelineTrail.map((r) => r.type).reverse()).toEqual([
      "pipelines.pipeline.saved",
      "pipelines.trigger.fired",
      "pipelines.run.started",
      "pipelines.step.started",
      "pipelines.step.succeeded",
      "pipelines.run.succeeded",
    ]);
    expect((await auditAll(s, `actor=pipeline_run:${runId}`)).map((r) => r.id).sort()).toEqual(
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
    expect((await auditAll(s, `assignment=${assignmentId}`)).map((r) => r.type)).toEqual(
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
    const trail = await auditAll(s, `recipient=${recipient.id}`);
    expect(trail.map((r) => r.type)).toEqual(
      expect.arrayContaining([
        "bundles.download.granted",
        "bundles.assignment.created",
        "auth.recipient.created",
      ]),
    );
    for (const r of trail) expect(r.subjectIds.recipientId).toBe(recipient.id);
    const byHeir = await auditAll(s, `actor=recipient:${recipient.id}`);
    expect(byHeir.map((r) => r.id)).toEqual(expect.arrayContaining([byName["grant download"]!.id]));
    for (const r of byHeir) expect(r.actor).toEqual(heir);

    // and the chain verifies
    const verified = await http(s.base, "GET", "/api/v1/audit/verify", { token: OWNER_TOKEN });
    expect(verified.body).toMatchObject({ ok: true, checked: log.length });
  });
});
