import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ActionInput, IngressRequest, Json, TriggerInput } from "@latchflow/plugin-sdk";
import { buildPlugin, packPlugin } from "@latchflow/plugin-sdk/node";
import { createHarness, type Harness } from "@latchflow/plugin-sdk/testing";
import { createLogger } from "@latchflow/runtime";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { http } from "../http.js";
import { MODES, OWNER_EMAIL, type Stack, startStack } from "../stack.js";
import { finished, putPipeline, run, runs, startRun } from "./helpers.js";

// Issue 16 item 3: one plugin (an action and a trigger) run by the local harness and by a real server gets the
// same input, sees the same answers to its host calls, does the same (mail, kv, emit, log) and fails with the
// same error codes (a host not in the manifest, a missing permission, a deadline).

const PLUGIN = "latchflow-plugin-parity";
const entry = fileURLToPath(new URL("./fixtures/parity/src/index.ts", import.meta.url));
const TOKEN = "t0ken-for-parity";

const actions = (to: string) => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: parity-act }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - { id: probe, uses: ${PLUGIN}/probe@1, with: { mode: record, to: ${to} } }
`;

const once = "{ maxAttempts: 1, backoff: fixed, initialInterval: 1s, maxInterval: 1s }";
const refusals = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: parity-refuse }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - { id: elsewhere, uses: ${PLUGIN}/probe@1, with: { mode: elsewhere }, onFailure: continue }
    - { id: publish, uses: ${PLUGIN}/probe@1, with: { mode: publish }, onFailure: continue }
    - { id: hang, uses: ${PLUGIN}/probe@1, with: { mode: hang }, onFailure: continue, retry: ${once} }
`;

const triggers = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: parity-trig }
spec:
  triggers:
    - { id: watch, uses: ${PLUGIN}/watch@1, with: { label: parity } }
  steps:
    - { id: note, uses: ${PLUGIN}/probe@1, with: { mode: record } }
`;

interface LogLine {
  pluginLog?: boolean;
  plugin?: string;
  msg: string;
  [field: string]: unknown;
}

describe.each(MODES)("local harness vs server on %s + %s", (dialect, bus) => {
  const lines: LogLine[] = [];
  const dir = mkdtempSync(join(tmpdir(), "lf-parity-"));
  let s: Stack;
  let harness: Harness;
  let clock = new Date();

  beforeAll(async () => {
    const built = await buildPlugin({ entry });
    const packed = await packPlugin({ dir: join(entry, "..", ".."), outFile: join(dir, "parity.tgz") });
    const logger = createLogger({
      level: "info",
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
    });
    s = await startStack(dialect, bus, "parity", { LATCHFLOW_KERNEL_POLL_MS: "50" }, { logger });
    const installed = await s.client().raw.installPlugin({
      body: readFileSync(packed.file),
      contentType: "application/gzip",
      headers: { "x-latchflow-integrity": packed.integrity },
    });
    expect(installed.status, JSON.stringify(installed.body)).toBe(201);
    await s.client().updatePlugin({
      params: { name: PLUGIN },
      body: {
        capabilities: { [`${PLUGIN}/probe@1`]: true, [`${PLUGIN}/watch@1`]: true },
        approvedHosts: ["api.example.com"],
      },
    });
    await s.client().setPluginSecret({ params: { name: PLUGIN, secret: "token" }, body: { value: TOKEN } });
    harness = await createHarness({
      code: built.code,
      ...(built.manifest ? { manifest: built.manifest } : {}),
      secrets: { token: TOKEN },
      now: () => clock,
      publicUrl: s.base,
      pipeline: { ownerEmail: OWNER_EMAIL },
    });
  });
  afterAll(async () => {
    harness?.close();
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const pluginLogs = () =>
    lines
      .filter((l) => l.pluginLog === true && l.plugin === PLUGIN)
      .map(({ msg, step, event }) => ({ message: msg, fields: step ? { step } : { event } }));

  it("an action gets the same input, the same host answers, and mails, stores and logs the same", async () => {
    const to = `parity-${dialect}@example.com`;
    const saved = await putPipeline(s, "parity-act", actions(to));
    const server = await finished(s, "parity-act", (await startRun(s, "parity-act")).id);
    expect(server.status, JSON.stringify(server)).toBe("succeeded");
    expect(server.steps?.[0]?.attempts, JSON.stringify(server.steps)).toHaveLength(1);
    const outputs = server.steps?.[0]?.outputs as { input: ActionInput } & Record<string, Json>;
    const seen = outputs.input;
    // what the server gave, key by key: the harness builds it with the same function
    expect(Object.keys(seen).sort()).toEqual(
      ["config", "now", "pipeline", "portalUrl", "run", "step", "steps", "trigger"].sort(),
    );

    clock = new Date(seen.now);
    const logsBefore = harness.state.logs.length;
    const local = await harness.action("probe@1", {
      config: { mode: "record", to },
      stepId: "probe",
      // what only the server can know: its run id, when it fired and the pipeline's version
      run: { id: seen.run.id },
      trigger: { id: "go", firedAt: seen.trigger.firedAt, payload: seen.trigger.payload },
      pipeline: { name: "parity-act", version: saved.version },
    });
    expect(local.status, JSON.stringify(local.error)).toBe("succeeded");
    expect(local.input).toEqual(seen);
    // the same answers: kv, secrets, a refused kv key, a refused idempotency key
    expect(local.outputs).toEqual(outputs);
    expect(outputs).toMatchObject({
      count: 1,
      secret: TOKEN,
      badKey: "plugin_error: kv keys are 1 to 200 characters",
      shortKey: "validation_failed: idempotencyKey must be 8 to 1000 characters",
      mailed: true,
    });

    // what it did: one mail each, the same kv state, the same log line
    const mails = await waitFor(() => (s.mail.to(to).length > 0 ? s.mail.to(to) : undefined), {
      description: "the plugin's mail",
    });
    expect(mails.map((m) => m.subject)).toEqual(["parity"]);
    expect(harness.state.mails.filter((m) => m.to === to).map((m) => m.subject)).toEqual(["parity"]);
    expect(harness.kv("probe", "count", "parity-act")).toBe(1);
    expect(pluginLogs().filter((l) => l.message === "probing")).toEqual(
      harness.state.logs.slice(logsBefore).map(({ message, fields }) => ({ message, fields })),
    );
    expect(local.calls.map((c) => c.call)).toEqual([
      "log",
      "kv.get",
      "kv.set",
      "kv.get",
      "mail.send",
      "mail.send",
      "kv.get",
      "secrets.get",
    ]);
  });

  it("a host not in the manifest, a missing permission and a deadline fail with the same codes", async () => {
    await putPipeline(s, "parity-refuse", refusals);
    const server = await finished(s, "parity-refuse", (await startRun(s, "parity-refuse")).id, 30_000);
    const failures = Object.fromEntries(
      (server.steps ?? []).map((st) => [st.stepId, { code: st.errorCode, message: st.errorMessage }]),
    );
    for (const mode of ["elsewhere", "publish", "hang"] as const) {
      const local = await harness.action("probe@1", { config: { mode }, stepId: mode });
      expect(local.status).toBe("failed");
      expect({ code: local.error?.code, message: local.error?.message }, mode).toEqual(failures[mode]);
    }
    expect(failures).toMatchObject({
      elsewhere: {
        code: "capability_denied",
        message: "egress: host elsewhere.example.org is not in the allowlist",
      },
      publish: { code: "capability_denied" },
      hang: { code: "sandbox_timeout" },
    });
  });

  it("a trigger driven through arm, timer, request, control and status gets the same input and does the same", async () => {
    const saved = await putPipeline(s, "parity-trig", triggers);
    const byKind = async (kind: string, n: number) => {
      const list = await waitFor(
        async () => {
          const l = await runs(s, "parity-trig");
          return l.length >= n ? l : undefined;
        },
        { description: `${n} runs of parity-trig` },
      );
      const full = await Promise.all(list.map((r) => run(s, "parity-trig", r.id)));
      const found = full.find((r) => r.trigger.kind === kind);
      if (!found) throw new Error(`no ${kind} run among ${full.map((r) => r.trigger.kind).join(", ")}`);
      return (found.trigger.payload as { input: TriggerInput; armed?: string }) ?? {};
    };
    // saving arms the trigger: it fires "armed" and sets a timer due at once, which fires "timer"
    const armed = await byKind("armed", 2);
    const timer = await byKind("timer", 2);
    const body = JSON.stringify({ hello: "parity" });
    const hook = await http(s.base, "POST", "/hooks/parity-trig/watch", {
      body,
      headers: { "content-type": "application/json", authorization: "Bearer hidden", "x-parity": "yes" },
    });
    expect(hook.status, hook.text).toBe(202);
    const request = await byKind("request", 3);
    const control = await s.api("POST", "/api/v1/pipelines/parity-trig/triggers/watch/check-in", {
      json: {},
    });
    expect(control.status, control.text).toBe(200);
    const checkIn = await byKind("control", 4);

    const call = {
      config: { label: "parity" },
      triggerId: "watch",
      pipeline: { name: "parity-trig", version: saved.version },
    };
    const sameInput = (local: TriggerInput, server: TriggerInput) => {
      // the check-in link is signed by the server; the harness makes one of the same form
      expect(server.links.checkIn.startsWith(`${s.base}/checkin/`)).toBe(true);
      expect(local.links.checkIn.startsWith(`${s.base}/checkin/`)).toBe(true);
      expect({ ...local, links: null }).toEqual({ ...server, links: null });
    };
    const drive = async (
      server: { input: TriggerInput; armed?: string },
      event: Parameters<Harness["trigger"]>[1],
    ) => {
      clock = new Date(server.input.now);
      const local = await harness.trigger("watch@1", event, call);
      expect(local.status, JSON.stringify(local.error)).toBe("succeeded");
      expect(local.fires).toHaveLength(1);
      const fired = local.fires[0]!.payload as { input: TriggerInput; armed?: string };
      sameInput(fired.input, server.input);
      expect({ ...fired, input: null }).toEqual({ ...server, input: null });
      return local;
    };

    const a = await drive(armed, { type: "arm" });
    expect(a.timers).toEqual([{ key: "soon", at: armed.input.now }]);
    const t = await drive(timer, { type: "timer", key: "soon" });
    expect(t.timers).toEqual([]);
    const received = (request.input.event as { request: IngressRequest }).request;
    const r = await drive(request, {
      type: "request",
      body,
      // the headers the client library added (host, user-agent…), and one the trigger must not see
      headers: { ...received.headers, authorization: "Bearer hidden" },
      receivedAt: received.receivedAt,
    });
    expect(r.result?.response).toEqual({ status: 202, body: { got: "request" } });
    expect(hook.body).toEqual({ got: "request" });
    expect(received.headers.authorization).toBeUndefined();
    expect(received.headers["x-parity"]).toBe("yes");
    const c = await drive(checkIn, {
      type: "control",
      action: "check-in",
      actor: (checkIn.input.event as { actor: string }).actor,
    });
    expect(c.result?.response).toEqual({ status: 200, body: { got: "control" } });

    // the status a person sees: the same kv state, read-only
    const listed = await s.client().listPipelineTriggers({ params: { name: "parity-trig" } });
    const status = await harness.trigger("watch@1", { type: "status" }, call);
    expect(status.result?.response?.body).toEqual(listed.items[0]?.status);
    expect(status.fires).toEqual([]);

    // the same log lines, in the same order, for the four events
    const watching = (l: { message: string }) => l.message === "watching";
    const serverEvents = pluginLogs()
      .filter(watching)
      .map((l) => l.fields);
    expect(serverEvents.slice(0, 4)).toEqual([
      { event: "arm" },
      { event: "timer" },
      { event: "request" },
      { event: "control" },
    ]);
    expect(
      harness.state.logs
        .filter(watching)
        .map((l) => l.fields)
        .slice(0, 4),
    ).toEqual(serverEvents.slice(0, 4));
  }, 60_000);
});
