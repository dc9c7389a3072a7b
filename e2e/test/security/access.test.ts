import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ids, upload } from "../files/helpers.js";
import { expectError, http } from "../http.js";
import { finished, pipelineStack, type RunView } from "../pipelines/helpers.js";
import { type Browser, MODES, type Stack } from "../stack.js";

/**
 * Promises about resource access (issue 10, privilege escalation):
 * - putting a file into a bundle needs read on that file, besides write on the bundle;
 * - the gateway, the simulate route and the kernel (acting for a pipeline's owner) decide alike;
 * - releasing a bundle (an assignment, a publish link, grant@1/publish@1) needs read on each of its files, so a
 *   file denied to a bundle writer cannot be released through a bundle someone else put it in.
 */
describe.each(MODES)("resource access on %s + %s", (dialect, bus) => {
  let s: Stack;
  let executor: Browser;
  let executorId: string;
  let writable: Ids;
  let other: Ids;
  let readable: string;
  let secret: string;

  const grant = async (action: string, resourceType: string, resourceId = "*") => {
    const res = await s.api("POST", `/api/v1/users/${executorId}/permissions`, {
      json: { action, resourceType, resourceId },
    });
    expect(res.status, res.text).toBe(201);
  };

  beforeAll(async () => {
    s = await pipelineStack(dialect, bus, "secaccess");
    const invited = await s.api("POST", "/api/v1/users", {
      json: { email: "executor@example.com", role: "executor" },
    });
    expect(invited.status, invited.text).toBe(201);
    executorId = (invited.body as Ids).id;
    executor = await s.signIn("executor@example.com");
    writable = (await s.api("POST", "/api/v1/bundles", { json: { name: "writable" } })).body as Ids;
    other = (await s.api("POST", "/api/v1/bundles", { json: { name: "other" } })).body as Ids;
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
    const put = await http(s.base, "PUT", `/api/v1/pipelines/${name}`, {
      token,
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
      headers: { "content-type": "application/yaml" },
    });
    expect(put.status, put.text).toBe(200);
    const started = await http(s.base, "POST", `/api/v1/pipelines/${name}/runs`, { token, json: {} });
    expect(started.status, started.text).toBe(202);
    return finished(s, name, (started.body as RunView).id);
  };

  const setObjects = (bundleId: string, fileIds: string[]) =>
    executor.request("PUT", `/api/v1/bundles/${bundleId}/objects`, {
      json: { objects: fileIds.map((fileId) => ({ fileId })) },
      csrf: "user",
    });

  it("an executor with write on one bundle cannot add a file it cannot read", async () => {
    expectError(await setObjects(writable.id, [secret]), 403, "permission_denied");
    expectError(await setObjects(writable.id, [readable, secret]), 403, "permission_denied");
    const bundle = (await s.api("GET", `/api/v1/bundles/${writable.id}`)).body as { objects: unknown[] };
    expect(bundle.objects).toEqual([]);
  });

  it("an executor can add a file it may read to a bundle it may write, and nothing to another bundle", async () => {
    const res = await setObjects(writable.id, [readable]);
    expect(res.status, res.text).toBe(200);
    expect((res.body as { objects: { fileId: string }[] }).objects.map((o) => o.fileId)).toEqual([readable]);
    expectError(await setObjects(other.id, [readable]), 403, "permission_denied");
  });

  it("a narrower token (bundles:write without files:read) cannot add a file, even an owner's", async () => {
    const minted = await s.api("POST", "/api/v1/tokens", {
      json: { name: "bundles-only", scopes: ["bundles:write"] },
    });
    expect(minted.status, minted.text).toBe(201);
    const token = (minted.body as { token: string }).token;
    const res = await http(s.base, "PUT", `/api/v1/bundles/${other.id}/objects`, {
      token,
      json: { objects: [{ fileId: secret }] },
    });
    expectError(res, 403, "permission_denied");
    const owner = await s.api("PUT", `/api/v1/bundles/${other.id}/objects`, {
      json: { objects: [{ fileId: secret }] },
    });
    expect(owner.status, owner.text).toBe(200);
  });

  it("the simulate route, the gateway and the kernel agree on an executor's bundle write", async () => {
    const simulate = async (bundleId: string) =>
      (
        await s.api("POST", "/api/v1/auth/permissions/simulate", {
          json: { userId: executorId, action: "bundles:write", resource: { type: "bundle", id: bundleId } },
        })
      ).body as { allowed: boolean; reason: string };
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
    const minted = await executor.request("POST", "/api/v1/tokens", {
      json: { name: "pipelines", scopes: ["pipelines:write", "pipelines:run"] },
      csrf: "user",
    });
    expect(minted.status, minted.text).toBe(201);
    const token = (minted.body as { token: string }).token;
    const allowed = await publishRun(token, "publish-writable", "writable");
    expect(allowed.status, JSON.stringify(allowed)).toBe("succeeded");
    const refused = await publishRun(token, "publish-other", "other");
    expect(refused.status).toBe("failed");
    expect(refused.steps?.[0]?.errorCode).toBe("permission_denied");
  });
  it("a bundle writer cannot release a file it may not read that someone else put in the bundle (review finding): links, assignments and publish@1 refuse", async () => {
    const owner = await s.api("PUT", `/api/v1/bundles/${writable.id}/objects`, {
      json: { objects: [{ fileId: readable }, { fileId: secret }] },
    });
    expect(owner.status, owner.text).toBe(200);
    const recipient = await s.api("POST", "/api/v1/recipients", { json: { email: "heir@example.com" } });
    expect(recipient.status, recipient.text).toBe(201);
    expectError(
      await executor.request("POST", `/api/v1/bundles/${writable.id}/links`, {
        json: { expiresInSeconds: 3600 },
        csrf: "user",
      }),
      403,
      "permission_denied",
    );
    expectError(
      await executor.request("POST", `/api/v1/bundles/${writable.id}/assignments`, {
        json: { recipientId: (recipient.body as Ids).id },
        csrf: "user",
      }),
      403,
      "permission_denied",
    );
    const minted = await executor.request("POST", "/api/v1/tokens", {
      json: { name: "pipelines-2", scopes: ["pipelines:write", "pipelines:run"] },
      csrf: "user",
    });
    expect(minted.status, minted.text).toBe(201);
    const token = (minted.body as { token: string }).token;
    const run = await publishRun(token, "publish-secret", "writable");
    expect(run.status).toBe("failed");
    expect(run.steps?.[0]?.errorCode).toBe("permission_denied");
    // once the file may be read, the same release works
    await grant("files:read", "file", secret);
    const link = await executor.request("POST", `/api/v1/bundles/${writable.id}/links`, {
      json: { expiresInSeconds: 3600 },
      csrf: "user",
    });
    expect(link.status, link.text).toBe(201);
  });
});
