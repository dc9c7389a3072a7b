import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineJson, putPipeline, signed } from "../pipelines/helpers.js";
import { MODES, type Stack, startStack } from "../stack.js";

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
    await s.client().setPluginSecret({
      params: { name: "latchflow-webhook", secret: "hook-key" },
      body: { value: HOOK_KEY },
    });
    await putPipeline(s, "probe", SOURCE);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("/hooks/{pipeline}/{trigger} gives one answer for unknown names and a bad signature (names cannot be probed)", async () => {
    const body = "x".repeat(100); // over the trigger's maxBodyBytes: the limit shows only to signed requests
    const answer = async (pipeline: string, trigger: string) => {
      const res = await s.client().raw.deliverWebhook({
        params: { pipeline, trigger },
        body,
        headers: signed("not-the-key", body),
      });
      if (res.ok) throw new Error(`expected a refusal, got ${res.status}`);
      const { requestId: _r, ...error } = res.body.error;
      return { status: res.status, error, type: res.headers.get("content-type") };
    };
    const badSignature = await answer("probe", "incoming");
    expect(badSignature).toMatchObject({ status: 401, error: { code: "invalid_signature" } });
    expect(await answer("no-such-pipeline", "incoming")).toEqual(badSignature);
    expect(await answer("probe", "no-such-trigger")).toEqual(badSignature);
    expect(await answer("probe", "by-hand")).toEqual(badSignature);
  });

  it("saving an identical pipeline source is a no-op (no new version)", async () => {
    const versions = async () =>
      (await s.client().listPipelineVersions({ params: { name: "probe" } })).items.length;
    const before = await versions();
    const current = await pipelineJson(s, "probe");
    const again = await putPipeline(s, "probe", SOURCE);
    expect(again).toMatchObject({ name: "probe", version: current.version });
    expect(await versions()).toBe(before);
    // a real change still makes a version
    await putPipeline(s, "probe", SOURCE.replace('subject: "hi"', 'subject: "hello"'));
    expect(await versions()).toBe(before + 1);
  });
});
