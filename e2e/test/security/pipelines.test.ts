import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http } from "../http.js";
import { putPipeline, signed } from "../pipelines/helpers.js";
import { MODES, OWNER_TOKEN, type Stack, startStack } from "../stack.js";

/** Promises of the pipeline ingress and store (issue 10). */

const HOOK_KEY = "security-hook-key-0123456789abcdef";

const SOURCE = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: probe }
spec:
  triggers:
    - { id: incoming, uses: webhook@1, with: { secretName: hook-key, maxBodyBytes: 64 } }
    - { id: by-hand, uses: manual@1 }
  steps:
    - id: tell
      uses: email@1
      with: { to: [nobody@example.com], subject: "hi", text: "hi" }
`;

describe.each(MODES)("pipelines on %s + %s", (dialect, bus) => {
  let s: Stack;

  beforeAll(async () => {
    s = await startStack(dialect, bus, "sec_pipes");
    const secret = await s.api("PUT", "/api/v1/plugins/latchflow-webhook/secrets/hook-key", {
      json: { value: HOOK_KEY },
    });
    expect(secret.status, secret.text).toBe(200);
    await putPipeline(s, "probe", SOURCE);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("/hooks/{pipeline}/{trigger} gives one answer for unknown names and a bad signature (names cannot be probed)", async () => {
    const body = "x".repeat(100); // over the trigger's maxBodyBytes: the limit shows only to signed requests
    const answer = async (path: string) => {
      const res = await http(s.base, "POST", path, { body, headers: signed("not-the-key", body) });
      const { requestId: _r, ...error } = (res.body as { error: { requestId: string } }).error;
      return { status: res.status, error, type: res.headers.get("content-type") };
    };
    const badSignature = await answer("/hooks/probe/incoming");
    expect(badSignature).toMatchObject({ status: 401, error: { code: "invalid_signature" } });
    expect(await answer("/hooks/no-such-pipeline/incoming")).toEqual(badSignature);
    expect(await answer("/hooks/probe/no-such-trigger")).toEqual(badSignature);
    expect(await answer("/hooks/probe/by-hand")).toEqual(badSignature);
  });

  it("saving an identical pipeline source is a no-op (no new version)", async () => {
    const versions = async () =>
      ((await s.api("GET", "/api/v1/pipelines/probe/versions")).body as { items: unknown[] }).items.length;
    const before = await versions();
    const current = (await s.api("GET", "/api/v1/pipelines/probe?format=json")).body as { version: number };
    const again = await http(s.base, "PUT", "/api/v1/pipelines/probe", {
      token: OWNER_TOKEN,
      body: SOURCE,
      headers: { "content-type": "application/yaml" },
    });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ name: "probe", version: current.version });
    expect(await versions()).toBe(before);
    // a real change still makes a version
    await putPipeline(s, "probe", SOURCE.replace('subject: "hi"', 'subject: "hello"'));
    expect(await versions()).toBe(before + 1);
  });
});
