// Runs across pipelines (listRuns, the status filter) and the state of a pipeline's triggers
// (listPipelineTriggers: a dead-man switch's deadline, check-in, pause and ladder; a cron's next ticks; a
// webhook's URL), with the callers who may not read them.
import type { Client } from "@latchflow/api";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { MODES, type Stack } from "../stack.js";
import { finished, pipelineStack, putPipeline, startRun } from "./helpers.js";

const DAY = 24 * 3_600_000;

const manual = (name: string, steps: string) => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: ${name} }
spec:
  triggers:
    - id: go
      uses: manual@1
      with:
        payloadSchema: { type: object, required: [name], properties: { name: { type: string } } }
  steps:
${steps}`;

const SWITCH = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: switch }
spec:
  triggers:
    - { id: dead, uses: deadman@1, with: { checkInEvery: 10d, grace: 2d, remind: [3d, 1d] } }
    - { id: daily, uses: cron@1, with: { schedule: "0 9 * * *" } }
    - { id: hook, uses: webhook@1, with: { secretName: hook-key } }
  steps:
    - { id: tell, uses: email@1, with: { to: [heir@example.com], subject: "Released", text: "x" } }
`;

interface DeadmanStatus {
  deadline: string;
  periodStart: string;
  lastCheckInAt?: string;
  paused: boolean;
  pausedUntil?: string;
  fired: boolean;
  ladder: { entry: string; at: string; sent: boolean }[];
}

describe.each(MODES)("runs overview and trigger states on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  beforeAll(async () => {
    s = await pipelineStack(dialect, bus, "pipeoverview");
    api = s.client();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const invite = async (email: string, role: "admin" | "executor") =>
    (await api.inviteUser({ body: { email, role } })).id;

  it("lists runs of every pipeline newest first, filters by status, and shows why a step was skipped", async () => {
    await putPipeline(
      s,
      "fine",
      manual(
        "fine",
        `    - { id: hello, uses: email@1, with: { to: [a@example.com], subject: "Hi {{ trigger.payload.payload.name }}", text: "x" } }
    - { id: only-on-cron, uses: email@1, if: 'trigger.kind == "cron"', with: { to: [b@example.com], subject: "no", text: "no" } }
`,
      ),
    );
    // a step that fails for good: its bundle is deleted after the pipeline was saved
    const doomed = await api.createBundle({ body: { name: "doomed" } });
    await putPipeline(
      s,
      "broken",
      manual("broken", "    - { id: pub, uses: publish@1, with: { bundle: doomed, expiresIn: 1d } }\n"),
    );
    await api.deleteBundle({ params: { id: doomed.id } });
    const ok = await finished(s, "fine", (await startRun(s, "fine", { name: "Ann" })).id);
    const bad = await finished(s, "broken", (await startRun(s, "broken", { name: "Bob" })).id);
    expect([ok.status, bad.status]).toEqual(["succeeded", "failed"]);
    expect(ok.steps?.map((x) => [x.stepId, x.status, x.condition])).toEqual([
      ["hello", "succeeded", ""],
      ["only-on-cron", "skipped", 'trigger.kind == "cron"'],
    ]);

    const all = await api.listRuns();
    expect(all.items.map((r) => [r.pipeline, r.status])).toEqual([
      ["broken", "failed"],
      ["fine", "succeeded"],
    ]);
    expect((await api.listRuns({ query: { status: "failed" } })).items.map((r) => r.id)).toEqual([bad.id]);
    expect((await api.listRuns({ query: { status: "queued" } })).items).toEqual([]);
    // pages: one run each, the cursor leads on
    const first = await api.listRuns({ query: { limit: 1 } });
    expect(first.items.map((r) => r.id)).toEqual([bad.id]);
    const second = await api.listRuns({ query: { limit: 1, cursor: first.nextCursor ?? "" } });
    expect(second.items.map((r) => r.id)).toEqual([ok.id]);
    // the one pipeline's list filters the same way
    const fine = (status: "succeeded" | "failed") =>
      api.listPipelineRuns({ params: { name: "fine" }, query: { status } });
    expect((await fine("succeeded")).items.map((r) => r.id)).toEqual([ok.id]);
    expect((await fine("failed")).items).toEqual([]);
    expectError(await s.api("GET", "/api/v1/runs?status=lost"), 422, "validation_failed");
    expectError(await s.api("GET", "/api/v1/pipelines/fine/runs?status=lost"), 422, "validation_failed");

    // an executor granted one pipeline sees only its runs
    const executorId = await invite(`exec-${dialect}@example.com`, "executor");
    const executor = (await s.signIn(`exec-${dialect}@example.com`)).client();
    expectError(await executor.raw.listRuns(), 403, "permission_denied");
    await api.grantPermission({
      params: { id: executorId },
      body: { action: "pipelines:write", resourceType: "pipeline", resourceId: "fine" },
    });
    expect((await executor.listRuns()).items.map((r) => r.id)).toEqual([ok.id]);
    expect((await executor.listRuns({ query: { status: "failed" } })).items).toEqual([]);
    expectError(
      await executor.raw.getPipelineRun({ params: { name: "broken", runId: bad.id } }),
      403,
      "permission_denied",
    );
    // an admin denied one pipeline does not see its runs in the overview either
    const adminId = await invite(`admin-${dialect}@example.com`, "admin");
    const admin = (await s.signIn(`admin-${dialect}@example.com`)).client();
    expect((await admin.listRuns()).items).toHaveLength(2);
    await api.grantPermission({
      params: { id: adminId },
      body: { action: "pipelines:write", resourceType: "pipeline", resourceId: "broken", effect: "deny" },
    });
    expect((await admin.listRuns()).items.map((r) => r.id)).toEqual([ok.id]);
    // a token without pipelines:write
    const narrow = await api.createToken({ body: { name: "bundles-only", scopes: ["bundles:read"] } });
    expectError(await s.client(narrow.token).raw.listRuns(), 403, "permission_denied");
  });

  it("shows each trigger's state: the dead-man switch through check-in, pause and resume; cron ticks; the webhook URL", async () => {
    await putPipeline(s, "switch", SWITCH);
    const triggers = () => api.listPipelineTriggers({ params: { name: "switch" } });
    const dead = async () => {
      const t = (await triggers()).items.find((x) => x.id === "dead");
      return { ...t!, status: t!.status as DeadmanStatus };
    };
    // armed by the scheduler soon after the save
    await waitFor(async () => ((await dead()).timers.length === 3 ? true : undefined), {
      timeoutMs: 15_000,
      description: "the dead-man switch to be armed",
    });
    const armed = await dead();
    expect(armed.config).toEqual({ checkInEvery: "10d", grace: "2d", remind: ["3d", "1d"] });
    const deadline = Date.parse(armed.status.deadline);
    expect(Date.parse(armed.status.periodStart) + 12 * DAY).toBe(deadline);
    expect(armed.status).toMatchObject({ paused: false, fired: false });
    expect(armed.status.lastCheckInAt).toBeUndefined();
    expect(armed.status.ladder).toEqual([
      { entry: "3d", at: new Date(deadline - 3 * DAY).toISOString(), sent: false },
      { entry: "1d", at: new Date(deadline - 1 * DAY).toISOString(), sent: false },
    ]);
    expect(armed.timers).toEqual([
      { key: "remind:3d", at: new Date(deadline - 3 * DAY).toISOString() },
      { key: "remind:1d", at: new Date(deadline - 1 * DAY).toISOString() },
      { key: "deadline", at: armed.status.deadline },
    ]);
    expect(armed.hookUrl).toBeNull();

    const all = await triggers();
    expect(all.enabled).toBe(true);
    const daily = all.items.find((x) => x.id === "daily")!;
    const next = (daily.status as { next: string[] }).next;
    expect(next).toHaveLength(5);
    expect(next.every((at) => at.endsWith("T09:00:00.000Z"))).toBe(true);
    expect(daily.timers).toEqual([{ key: "tick", at: next[0] }]);
    const hook = all.items.find((x) => x.id === "hook")!;
    expect(hook.hookUrl).toMatch(/^http:\/\/[^/]+\/hooks\/switch\/hook$/);
    expect(hook.status).toBeNull();

    // check in: a new period from now
    s.advance(2 * DAY);
    await api.controlTrigger({ params: { name: "switch", trigger: "dead", action: "check-in" }, body: {} });
    const checked = await dead();
    expect(Date.parse(checked.status.lastCheckInAt ?? "")).toBeGreaterThan(deadline - 12 * DAY);
    expect(Date.parse(checked.status.deadline)).toBe(
      Date.parse(checked.status.lastCheckInAt ?? "") + 12 * DAY,
    );

    // pause: the deadline counts from the pause's end; the only timer is the resume
    const until = new Date(s.now().getTime() + 30 * DAY).toISOString();
    await api.controlTrigger({
      params: { name: "switch", trigger: "dead", action: "pause" },
      body: { until },
    });
    const paused = await dead();
    expect(paused.status).toMatchObject({ paused: true, pausedUntil: until });
    expect(paused.status.deadline).toBe(new Date(Date.parse(until) + 12 * DAY).toISOString());
    expect(paused.timers).toEqual([{ key: "resume", at: until }]);
    await api.controlTrigger({ params: { name: "switch", trigger: "dead", action: "resume" }, body: {} });
    const resumed = await dead();
    expect(resumed.status.paused).toBe(false);
    expect(resumed.status.pausedUntil).toBeUndefined();
    expect(resumed.timers.map((t) => t.key)).toEqual(["remind:3d", "remind:1d", "deadline"]);

    // a manual trigger shows its config (the payload schema) and nothing else
    const fine = (await api.listPipelineTriggers({ params: { name: "fine" } })).items;
    expect(fine).toEqual([
      {
        id: "go",
        uses: "manual@1",
        config: {
          payloadSchema: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
        },
        timers: [],
        status: null,
        hookUrl: null,
      },
    ]);

    // disabled: nothing is armed, nothing is current
    await api.setPipelineEnabled({ params: { name: "switch" }, body: { enabled: false } });
    const off = await triggers();
    expect(off.enabled).toBe(false);
    expect(off.items.map((t) => [t.id, t.timers, t.status])).toEqual([
      ["dead", [], null],
      ["daily", [], null],
      ["hook", [], null],
    ]);

    // who may not look
    expectError(await api.raw.listPipelineTriggers({ params: { name: "nope" } }), 404, "not_found");
    const executor = (await s.signIn(`exec-${dialect}@example.com`)).client();
    expectError(
      await executor.raw.listPipelineTriggers({ params: { name: "switch" } }),
      403,
      "permission_denied",
    );
    expect((await executor.listPipelineTriggers({ params: { name: "fine" } })).items).toHaveLength(1);
    expectError(await s.api("GET", "/api/v1/pipelines/NOT_A_NAME/triggers"), 422, "validation_failed");
  });
});
