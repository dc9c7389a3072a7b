import type { Client, InputOf, operations, Scope } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upload } from "../files/helpers.js";
import { expectError } from "../http.js";
import { finished, pipelineStack } from "../pipelines/helpers.js";
import { MODES, type Stack } from "../stack.js";

type ResourceType = InputOf<typeof operations.grantPermission>["body"]["resourceType"];

/**
 * Promises about resource access (issue 10, privilege escalation):
 * - putting a file into a bundle needs read on that file, besides write on the bundle;
 * - the gateway, the simulate route and the kernel (acting for a pipeline's owner) decide alike;
 * - releasing a bundle (an assignment, a publish link, grant@1/publish@1) needs read on each of its files, so a
 *   file denied to a bundle writer cannot be released through a bundle someone else put it in.
 */
describe.each(MODES)("resource access on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  /** the executor's browser session */
  let executor: Client;
  let executorId: string;
  let writable: { id: string };
  let other: { id: string };
  let readable: string;
  let secret: string;

  const grant = async (action: Scope, resourceType: ResourceType, resourceId = "*") => {
    await api.grantPermission({ params: { id: executorId }, body: { action, resourceType, resourceId } });
  };

  beforeAll(async () => {
    s = await pipelineStack(dialect, bus, "secaccess");
    api = s.client();
    const invited = await api.inviteUser({ body: { email: "executor@example.com", role: "executor" } });
    executorId = invited.id;
    executor = (await s.signIn("executor@example.com")).client();
    writable = await api.createBundle({ body: { name: "writable" } });
    other = await api.createBundle({ body: { name: "other" } });
    readable = await upload(s, "readable.txt", Buffer.from("you may read me"));
    secret = await upload(s, "secret.txt", Buffer.from("the owner's secret"));
    await grant("bundles:write", "bundle", writable.id);
    await grant("bundles:read", "bundle", writable.id);
    await grant("files:read", "file", readable);
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** Saves a manual@1 → publish@1 pipeline as the token's user, runs it and returns the finished run. */
  const publishRun = async (token: string, name: string, bundle: string) => {
    const pipelines = s.client(token);
    await pipelines.putPipeline({
      params: { name },
      contentType: "application/yaml",
      body: `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: ${name} }
spec:
  triggers:
    - id: button
      uses: manual@1
  steps:
    - id: link
      uses: publish@1
      with: { bundle: ${bundle}, expiresIn: 1d }
`,
    });
    const started = await pipelines.startPipelineRun({ params: { name }, body: {} });
    return finished(s, name, started.id);
  };

  /** The executor sets a bundle's files: the raw answer. */
  const setObjects = (bundleId: string, fileIds: string[]) =>
    executor.raw.setBundleObjects({
      params: { id: bundleId },
      body: { objects: fileIds.map((fileId) => ({ fileId })) },
    });

  it("an executor with write on one bundle cannot add a file it cannot read", async () => {
    expectError(await setObjects(writable.id, [secret]), 403, "permission_denied");
    expectError(await setObjects(writable.id, [readable, secret]), 403, "permission_denied");
    const bundle = await api.getBundle({ params: { id: writable.id } });
    expect(bundle.objects).toEqual([]);
  });

  it("an executor can add a file it may read to a bundle it may write, and nothing to another bundle", async () => {
    const res = await setObjects(writable.id, [readable]);
    if (!res.ok) throw new Error(res.body.error.message);
    expect(res.status).toBe(200);
    expect(res.body.objects.map((o) => o.fileId)).toEqual([readable]);
    expectError(await setObjects(other.id, [readable]), 403, "permission_denied");
  });

  it("a narrower token (bundles:write without files:read) cannot add a file, even an owner's", async () => {
    const { token } = await api.createToken({ body: { name: "bundles-only", scopes: ["bundles:write"] } });
    const body = { objects: [{ fileId: secret }] };
    const res = await s.client(token).raw.setBundleObjects({ params: { id: other.id }, body });
    expectError(res, 403, "permission_denied");
    const owner = await api.setBundleObjects({ params: { id: other.id }, body });
    expect(owner.objects.map((o) => o.fileId)).toEqual([secret]);
  });

  it("the simulate route, the gateway and the kernel agree on an executor's bundle write", async () => {
    const simulate = (bundleId: string) =>
      api.simulatePermission({
        body: { userId: executorId, action: "bundles:write", resource: { type: "bundle", id: bundleId } },
      });
    expect(await simulate(writable.id)).toMatchObject({ allowed: true });
    expect(await simulate(other.id)).toMatchObject({
      allowed: false,
      reason: expect.stringContaining("executor"),
    });
    expect((await setObjects(writable.id, [readable])).status).toBe(200);
    expectError(await setObjects(other.id, [readable]), 403, "permission_denied");

    // the kernel acts for the pipeline's owner (the executor): publish@1 on each bundle
    await grant("pipelines:write", "*");
    await grant("pipelines:run", "*");
    const { token } = await executor.createToken({
      body: { name: "pipelines", scopes: ["pipelines:write", "pipelines:run"] },
    });
    const allowed = await publishRun(token, "publish-writable", "writable");
    expect(allowed.status, JSON.stringify(allowed)).toBe("succeeded");
    const refused = await publishRun(token, "publish-other", "other");
    expect(refused.status).toBe("failed");
    expect(refused.steps?.[0]?.errorCode).toBe("permission_denied");
  });
  it("a bundle writer cannot release a file it may not read that someone else put in the bundle (review finding): links, assignments and publish@1 refuse", async () => {
    await api.setBundleObjects({
      params: { id: writable.id },
      body: { objects: [{ fileId: readable }, { fileId: secret }] },
    });
    const recipient = await api.createRecipient({ body: { email: "heir@example.com" } });
    const link = { params: { id: writable.id }, body: { expiresInSeconds: 3600 } };
    expectError(await executor.raw.createPublishLink(link), 403, "permission_denied");
    expectError(
      await executor.raw.createAssignment({
        params: { id: writable.id },
        body: { recipientId: recipient.id },
      }),
      403,
      "permission_denied",
    );
    const { token } = await executor.createToken({
      body: { name: "pipelines-2", scopes: ["pipelines:write", "pipelines:run"] },
    });
    const run = await publishRun(token, "publish-secret", "writable");
    expect(run.status).toBe("failed");
    expect(run.steps?.[0]?.errorCode).toBe("permission_denied");
    // once the file may be read, the same release works
    await grant("files:read", "file", secret);
    const published = await executor.createPublishLink(link);
    expect(published.link.bundleId).toBe(writable.id);
  });
});
