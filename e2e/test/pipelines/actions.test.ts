import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchBytes, recipientBrowser, releasedBundle, sha256 } from "../files/helpers.js";
import { expectError, http } from "../http.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { finished, nthRun, pipelineStack, putPipeline, type RunView, runs, signed } from "./helpers.js";

const HOOK_KEY = "webhook-test-key-0123456789abcdef";

describe.each(MODES)("built-in actions end to end on %s + %s", (dialect, bus) => {
  let s: Stack;
  let bundle: Awaited<ReturnType<typeof releasedBundle>>;
  const archive = Buffer.from("the family archive ".repeat(1000));

  beforeAll(async () => {
    s = await pipelineStack(dialect, bus, "pipeacts");
    bundle = await releasedBundle(s, "family-archive", [{ name: "letter.txt", data: archive }]);
    await s.api("POST", "/api/v1/recipients", { json: { email: "bob@example.com" } });
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
    const refused = await s.api("POST", "/api/v1/pipelines/share-now/runs", {
      json: { payload: { other: 1 } },
    });
    expectError(refused, 422, "validation_failed");

    const started = await s.api("POST", "/api/v1/pipelines/share-now/runs", {
      json: { payload: { note: "<script>alert(1)</script>" } },
    });
    expect(started.status, started.text).toBe(202);
    const r = await finished(s, "share-now", (started.body as RunView).id);
    expect(r.status, JSON.stringify(r)).toBe("succeeded");
    expect(r.trigger).toMatchObject({
      kind: "manual",
      payload: { payload: { note: "<script>alert(1)</script>" } },
    });
    expect(r.steps?.map((x) => [x.stepId, x.status])).toEqual([
      ["link", "succeeded"],
      ["tell", "succeeded"],
    ]);
    const url = String(r.steps?.[0]?.outputs?.url);
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
    const secret = await s.api("PUT", "/api/v1/plugins/latchflow-webhook/secrets/hook-key", {
      json: { value: HOOK_KEY },
    });
    expect(secret.status, secret.text).toBe(200);
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
    const hook = (headers: Record<string, string>, b = body) =>
      http(s.base, "POST", "/hooks/on-hook/incoming", { body: b, headers });

    const wrong = await hook(signed("not-the-key", body));
    expect(wrong.status, wrong.text).toBe(401);
    expect(wrong.body).toEqual({
      error: { code: "invalid_signature", message: expect.any(String), requestId: expect.any(String) },
    });
    const unsigned = await hook({ "content-type": "application/json" });
    expect(unsigned.status).toBe(401);
    const stale = await hook(signed(HOOK_KEY, body, Math.floor(Date.now() / 1000) - 3600));
    expect(stale.status).toBe(401);
    const big = "x".repeat(2000);
    expect((await hook(signed(HOOK_KEY, big), big)).status).toBe(413);
    const huge = "x".repeat(1024 * 1024 + 10);
    expectError(await hook(signed(HOOK_KEY, huge), huge), 413, "payload_too_large");
    // an unknown trigger answers like a bad signature (names cannot be probed)
    expect(
      (await http(s.base, "POST", "/hooks/on-hook/nope", { body, headers: signed(HOOK_KEY, body) })).status,
    ).toBe(401);
    expect(await runs(s, "on-hook")).toHaveLength(0);

    const good = signed(HOOK_KEY, body);
    const ok = await hook(good);
    expect(ok.status, ok.text).toBe(202);
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
    const portal = await bob.request("GET", "/api/v1/portal/bundles");
    expect(portal.status, portal.text).toBe(200);
    expect(JSON.stringify(portal.body)).toContain("family-archive");
    const assignments = await s.api("GET", `/api/v1/bundles/${bundle.bundleId}/assignments`);
    expect(JSON.stringify(assignments.body)).toContain('"maxDownloads":2');
  });

  it("if:, onFailure: continue and step outcomes: a failed step lets a later one react", async () => {
    const doomed = (await s.api("POST", "/api/v1/bundles", { json: { name: "doomed" } })).body as {
      id: string;
    };
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
    expect((await s.api("DELETE", `/api/v1/bundles/${doomed.id}`)).status).toBe(200);
    const started = await s.api("POST", "/api/v1/pipelines/fallbacks/runs", { json: {} });
    const r = await finished(s, "fallbacks", (started.body as RunView).id);
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
    const approve = await s.api("PATCH", "/api/v1/plugins/http", { json: { approvedHosts: ["127.0.0.1"] } });
    expect(approve.status, approve.text).toBe(200);
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
    const started = await s.api("POST", "/api/v1/pipelines/call-out/runs", { json: {} });
    const r = await finished(s, "call-out", (started.body as RunView).id);
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
    expectError(await s.api("POST", "/api/v1/pipelines/hook-only/runs", { json: {} }), 409, "conflict");
    expectError(await s.api("POST", "/api/v1/pipelines/ghost/runs", { json: {} }), 404, "not_found");
    await s.api("PATCH", "/api/v1/pipelines/call-out", { json: { enabled: false } });
    expectError(await s.api("POST", "/api/v1/pipelines/call-out/runs", { json: {} }), 409, "conflict");
    expectError(
      await s.api("GET", "/api/v1/pipelines/call-out/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV"),
      404,
      "not_found",
    );
    expectError(await s.api("GET", "/api/v1/pipelines/call-out/runs/nope"), 422, "validation_failed");
  });

  it("exposes run, step and sandbox series on /metrics", async () => {
    const res = await fetch(`${s.base}/metrics`);
    expect(res.status).toBe(200);
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
    const res = await s.api("GET", "/api/v1/capabilities");
    expect(res.status, res.text).toBe(200);
    const items = (res.body as { items: { uses: string; docs: string; configSchema: object }[] }).items;
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
