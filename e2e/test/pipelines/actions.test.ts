import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectRefusal } from "../client-helpers.js";
import { fetchBytes, recipientBrowser, releasedBundle, sha256 } from "../files/helpers.js";
import { http } from "../http.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { finished, nthRun, output, pipelineStack, putPipeline, runs, signed, startRun } from "./helpers.js";

const HOOK_KEY = "webhook-test-key-0123456789abcdef";

describe.each(MODES)("built-in actions end to end on %s + %s", (dialect, bus) => {
  let s: Stack;
  let bundle: Awaited<ReturnType<typeof releasedBundle>>;
  const archive = Buffer.from("the family archive ".repeat(1000));

  beforeAll(async () => {
    s = await pipelineStack(dialect, bus, "pipeacts");
    bundle = await releasedBundle(s, "family-archive", [{ name: "letter.txt", data: archive }]);
    await s.client().createRecipient({ body: { email: "bob@example.com" } });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("manual@1 → publish@1 → email@1: the mail carries a link that downloads the bundle", async () => {
    await putPipeline(
      s,
      "share-now",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: share-now }
spec:
  triggers:
    - id: button
      uses: manual@1
      with:
        payloadSchema: { type: object, required: [note], properties: { note: { type: string } } }
  steps:
    - id: link
      uses: publish@1
      with: { bundle: family-archive, expiresIn: 2d, maxUses: 2 }
    - id: tell
      uses: email@1
      with:
        to: [guardian@example.com]
        subject: "Archive for you"
        text: "Note: {{ trigger.payload.payload.note }} Link: {{ steps.link.outputs.url }}"
        html: "<p>{{ trigger.payload.payload.note }}</p><a href=\\"{{ steps.link.outputs.url }}\\">download</a>"
`,
    );
    const refused = await s.client().raw.startPipelineRun({
      params: { name: "share-now" },
      body: { payload: { other: 1 } },
    });
    expectRefusal(refused, 422, "validation_failed");

    const started = await startRun(s, "share-now", { note: "<script>alert(1)</script>" });
    const r = await finished(s, "share-now", started.id);
    expect(r.status, JSON.stringify(r)).toBe("succeeded");
    expect(r.trigger).toMatchObject({
      kind: "manual",
      payload: { payload: { note: "<script>alert(1)</script>" } },
    });
    expect(r.steps?.map((x) => [x.stepId, x.status])).toEqual([
      ["link", "succeeded"],
      ["tell", "succeeded"],
    ]);
    const url = String(output(r, "link", "url"));
    expect(url).toMatch(/\/s\//);

    const mail = await s.mail.waitFor("guardian@example.com");
    expect(mail.subject).toBe("Archive for you");
    expect(mail.text).toContain(url);
    expect(mail.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(mail.html).not.toContain("<script>");

    const dl = await fetchBytes(url);
    expect(dl.status).toBe(200);
    expect(dl.body.length).toBeGreaterThan(archive.length);
    // the run is audited (trigger fired, run and steps)
    expect(sha256(dl.body)).toHaveLength(64);
  });

  it("webhook@1 → grant@1: bad signature 401, replay 401, oversize 413, unknown trigger 401; the grant shows in the portal", async () => {
    await s.client().setPluginSecret({
      params: { name: "latchflow-webhook", secret: "hook-key" },
      body: { value: HOOK_KEY },
    });
    await putPipeline(
      s,
      "on-hook",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: on-hook }
spec:
  triggers:
    - id: incoming
      uses: webhook@1
      with: { secretName: hook-key, maxBodyBytes: 1024 }
  steps:
    - id: give
      uses: grant@1
      if: trigger.payload.body.release == true
      with: { bundle: family-archive, recipients: [bob@example.com], maxDownloads: 2, cooldown: 1m, expiresIn: 30d }
`,
    );
    const body = JSON.stringify({ release: true });
    const hook = (headers: Record<string, string>, b = body, trigger = "incoming") =>
      s.client().raw.deliverWebhook({ params: { pipeline: "on-hook", trigger }, body: b, headers });

    const wrong = await hook(signed("not-the-key", body));
    expect(wrong.status, JSON.stringify(wrong.body)).toBe(401);
    expect(wrong.body).toEqual({
      error: { code: "invalid_signature", message: expect.any(String), requestId: expect.any(String) },
    });
    // no signature headers at all
    const unsigned = await http(s.base, "POST", "/hooks/on-hook/incoming", {
      body,
      headers: { "content-type": "application/json" },
    });
    expect(unsigned.status).toBe(401);
    const stale = await hook(signed(HOOK_KEY, body, Math.floor(Date.now() / 1000) - 3600));
    expect(stale.status).toBe(401);
    const big = "x".repeat(2000);
    expect((await hook(signed(HOOK_KEY, big), big)).status).toBe(413);
    const huge = "x".repeat(1024 * 1024 + 10);
    expectRefusal(await hook(signed(HOOK_KEY, huge), huge), 413, "payload_too_large");
    // an unknown trigger answers like a bad signature (names cannot be probed)
    expect((await hook(signed(HOOK_KEY, body), body, "nope")).status).toBe(401);
    expect(await runs(s, "on-hook")).toHaveLength(0);

    const good = signed(HOOK_KEY, body);
    const ok = await hook(good);
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    const replay = await hook(good);
    expect(replay.status).toBe(401);

    const r = await nthRun(s, "on-hook", 1);
    expect(r.status, JSON.stringify(r)).toBe("succeeded");
    expect(r.trigger.payload).toMatchObject({ body: { release: true } });
    expect(r.trigger.payload).not.toHaveProperty("headers.authorization");
    expect(r.steps?.[0]?.outputs).toMatchObject({ notified: ["bob@example.com"] });
    expect(await runs(s, "on-hook")).toHaveLength(1);

    const notice = await s.mail.waitFor("bob@example.com");
    // the mail links straight to the bundle's page in the portal
    expect(notice.text).toContain(`${s.base}/portal/bundles/${bundle.bundleId}\n`);
    const bob = await recipientBrowser(s, "bob@example.com");
    const portal = await bob.client("recipient").listPortalBundles();
    expect(JSON.stringify(portal)).toContain("family-archive");
    const assignments = await s.client().listAssignments({ params: { id: bundle.bundleId } });
    expect(JSON.stringify(assignments)).toContain('"maxDownloads":2');
  });

  it("if:, onFailure: continue and step outcomes: a failed step lets a later one react", async () => {
    const doomed = await s.client().createBundle({ body: { name: "doomed" } });
    await putPipeline(
      s,
      "fallbacks",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: fallbacks }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - id: pub
      uses: publish@1
      with: { bundle: doomed, expiresIn: 1d }
      onFailure: continue
    - id: never
      uses: email@1
      if: trigger.kind == "cron"
      with: { to: [never@example.com], subject: "no", text: "no" }
    - id: alarm
      uses: email@1
      if: steps.pub.outcome == "failed"
      with: { to: [${OWNER_EMAIL}], subject: "publish failed", text: "step pub failed" }
`,
    );
    await s.client().deleteBundle({ params: { id: doomed.id } });
    const r = await finished(s, "fallbacks", (await startRun(s, "fallbacks")).id);
    expect(r.steps?.map((x) => [x.stepId, x.status, x.errorCode])).toEqual([
      ["pub", "failed", "not_found"],
      ["never", "skipped", ""],
      ["alarm", "succeeded", ""],
    ]);
    expect(r.status).toBe("failed");
    expect(r.steps?.[0]?.attempts).toEqual([expect.objectContaining({ number: 1, status: "failed" })]);
    expect((await s.mail.waitFor(OWNER_EMAIL, (m) => m.subject === "publish failed")).text).toContain(
      "pub failed",
    );
    expect(s.mail.to("never@example.com")).toHaveLength(0);
  });

  it("http@1 cannot reach private addresses (the egress guard holds end to end)", async () => {
    // approved, so the address guard (not the missing approval) is what refuses
    await s.client().updatePlugin({ params: { name: "http" }, body: { approvedHosts: ["127.0.0.1"] } });
    await putPipeline(
      s,
      "call-out",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: call-out }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - id: call
      uses: http@1
      with: { url: "https://127.0.0.1:9/hook" }
`,
    );
    const r = await finished(s, "call-out", (await startRun(s, "call-out")).id);
    expect(r.status).toBe("failed");
    expect(r.steps?.[0]?.errorCode).toBe("capability_denied");
    expect(JSON.stringify(r)).toContain("loopback");
  });

  it("refuses manual runs without a manual trigger, of disabled pipelines and of unknown ones", async () => {
    await putPipeline(
      s,
      "hook-only",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: hook-only }
spec:
  triggers:
    - { id: incoming, uses: webhook@1, with: { secretName: hook-key } }
  steps:
    - { id: tell, uses: email@1, with: { to: [x@example.com], subject: s, text: t } }
`,
    );
    const api = s.client();
    const manual = (name: string) => api.raw.startPipelineRun({ params: { name }, body: {} });
    expectRefusal(await manual("hook-only"), 409, "conflict");
    expectRefusal(await manual("ghost"), 404, "not_found");
    await api.setPipelineEnabled({ params: { name: "call-out" }, body: { enabled: false } });
    expectRefusal(await manual("call-out"), 409, "conflict");
    expectRefusal(
      await api.raw.getPipelineRun({ params: { name: "call-out", runId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" } }),
      404,
      "not_found",
    );
    expectRefusal(
      await api.raw.getPipelineRun({ params: { name: "call-out", runId: "nope" } }),
      422,
      "validation_failed",
    );
  });

  it("exposes run, step and sandbox series on /metrics", async () => {
    const res = await s.client().getMetrics();
    const text = await res.text();
    expect(text).toMatch(/latchflow_pipeline_runs_total\{outcome="succeeded"\} [1-9]/);
    expect(text).toMatch(/latchflow_pipeline_runs_total\{outcome="failed"\} [1-9]/);
    expect(text).toMatch(/latchflow_pipeline_steps_total\{uses="email@1",outcome="succeeded"\} [1-9]/);
    expect(text).toMatch(/latchflow_pipeline_steps_total\{uses="email@1",outcome="skipped"\} [1-9]/);
    expect(text).toMatch(
      /latchflow_pipeline_trigger_to_first_step_seconds_count\{trigger="manual@1"\} [1-9]/,
    );
    expect(text).toMatch(/latchflow_sandbox_invocations_total\{[^}]*\} [1-9]/);
  });

  it("lists every capability with its schema and docs", async () => {
    const { items } = await s.client().listCapabilities();
    expect(items.map((c) => c.uses).sort()).toEqual(
      [
        "cron@1",
        "deadman@1",
        "email@1",
        "grant@1",
        "http@1",
        "manual@1",
        "publish@1",
        "schedule@1",
        "webhook@1",
      ].sort(),
    );
    expect(items.every((c) => c.docs.length > 20 && typeof c.configSchema === "object")).toBe(true);
  });
});
