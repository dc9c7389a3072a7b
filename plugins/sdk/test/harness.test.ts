import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPlugin } from "../src/node.js";
import { createHarness, type Harness } from "../src/test-harness.js";
import { pluginDir, SDK_ENTRY } from "./helpers.js";

const PLUGIN = `
import { actionInput, definePlugin, type Host, type Json, triggerInput } from ${JSON.stringify(SDK_ENTRY)};

export default definePlugin({
  name: "latchflow-plugin-harnessed",
  version: "1.0.0",
  permissions: [
    { name: "kv", reason: "state" },
    { name: "mail.send", reason: "mail" },
    { name: "emit", reason: "fire" },
    { name: "bundles.grant", reason: "share" },
    { name: "fetch", hosts: ["api.example.com", "*.example.net"], reason: "api" },
  ],
  limits: { wallClockMs: 300 },
  capabilities: {
    "act@1": {
      kind: "action",
      configSchema: { type: "object" },
      async run(raw: Json, host: Host) {
        const input = actionInput(raw);
        const mode = (input.config as { mode?: string }).mode;
        if (mode === "secret") return await host.secrets.get("x");
        if (mode === "emit") return (host.emit({}), null);
        if (mode === "fetch") return (await host.fetch(String(input.config.url), {})) as Json;
        if (mode === "hang") return await new Promise<Json>(() => {});
        if (mode === "grant") {
          const req = { bundle: String(input.config.bundle), recipients: ["r@example.com"], maxDownloads: 0, cooldownSeconds: 0,
            notBefore: null, notAfter: null, passphrase: null, idempotencyKey: input.run.idempotencyKey, message: "",
            acknowledgementRequired: Boolean(input.config.ack) };
          return [await host.bundles.grant(req), await host.bundles.grant(req)];
        }
        if (mode === "big") return (await host.kv.set("big", "x".repeat(70_000)), null);
        const mail = { to: "a@example.com", subject: "s", text: "t", idempotencyKey: input.run.idempotencyKey };
        const first = await host.mail.send(mail);
        const again = await host.mail.send(mail);
        return { same: first.messageId === again.messageId };
      },
    },
    "tick@1": {
      kind: "trigger",
      configSchema: { type: "object" },
      async run(raw: Json, host: Host) {
        const input = triggerInput(raw);
        const e = input.event;
        const n = ((await host.kv.get("n")) as number | null) ?? 0;
        await host.kv.set("n", n + 1);
        if (e.type === "arm") return { timers: [{ key: "a", at: "2030-01-01T00:00:00Z" }, { key: "b", at: input.now }] };
        if (e.type === "timer") {
          for (let i = 0; i < 12; i++) host.emit({ kind: "tick", payload: { i, key: e.key } });
          return {};
        }
        if (e.type === "request") {
          if (e.request.body === "fail") throw new Error("boom");
          return { response: { status: e.request.body === "ok" ? 202 : 200, body: e.request.headers } };
        }
        if (e.type === "status") return { response: { status: 200, body: { n } } };
        return { response: { status: 200, body: { action: e.action, actor: e.actor } } };
      },
    },
  },
});
`;

describe("createHarness", () => {
  let h: Harness;
  let cleanup: () => Promise<void>;
  const now = "2026-05-01T10:00:00.000Z";

  beforeAll(async () => {
    const p = await pluginDir(PLUGIN);
    cleanup = p.cleanup;
    const built = await buildPlugin({
      entry: join(p.dir, "src", "index.ts"),
      outFile: join(p.dir, "dist", "plugin.js"),
    });
    expect(built.manifest).toBeDefined();
    // the manifest is read from dist/latchflow-plugin.json, next to the bundle
    h = await createHarness({
      file: join(p.dir, "dist", "plugin.js"),
      now,
      respond: (url) => ({ status: 200, headers: {}, body: `answered ${url}` }),
      bundles: ["reports"],
    });
  }, 60_000);
  afterAll(async () => {
    h?.close();
    await cleanup?.();
  });

  it("passes an action the server's input, with author options and fixed now", async () => {
    const out = await h.action("act@1", { config: { mode: "mail" }, stepId: "notify", run: { id: "r1" } });
    expect(out.input).toEqual({
      config: { mode: "mail" },
      trigger: { id: "start", uses: "manual@1", kind: "manual", firedAt: now, payload: {} },
      steps: {},
      run: { id: "r1", attempt: 1, idempotencyKey: "r1:notify" },
      step: { id: "notify" },
      pipeline: { name: "test", version: 1, ownerEmail: "owner@example.com" },
      now,
      portalUrl: "http://127.0.0.1:8080/portal/",
    });
    // mail is idempotent on its key, like the server's
    expect(out).toMatchObject({ status: "succeeded", outputs: { same: true } });
    expect(h.state.mails).toHaveLength(1);
    expect(out.calls.map((c) => c.call)).toEqual(["mail.send", "mail.send"]);
  });

  it("refuses what the server refuses, with the same codes", async () => {
    const code = async (config: Record<string, string>) => (await h.action("act@1", { config })).error;
    // no `secrets` permission in the manifest; `emit` is for triggers only
    expect(await code({ mode: "secret" })).toMatchObject({ code: "capability_denied" });
    expect(await code({ mode: "emit" })).toMatchObject({ code: "capability_denied" });
    expect(await code({ mode: "fetch", url: "https://elsewhere.example.org/" })).toEqual({
      code: "capability_denied",
      message: "egress: host elsewhere.example.org is not in the allowlist",
      retryable: false,
    });
    expect(await code({ mode: "big" })).toMatchObject({ code: "sandbox_output_too_large" });
    // the manifest's wall-clock limit is the step's deadline
    expect(await code({ mode: "hang" })).toMatchObject({ code: "sandbox_timeout", retryable: true });
    expect(h.state.fetches).toEqual([
      { url: "https://elsewhere.example.org/", init: {}, error: "capability_denied" },
    ]);
  });

  it("grants bundles once per idempotency key, with the server's checks", async () => {
    const out = await h.action("act@1", {
      config: { mode: "grant", bundle: "reports" },
      run: { id: "grant-1" },
    });
    expect(out.error).toBeUndefined();
    const [first, again] = out.outputs as { assignments: { created: boolean; assignmentId: string }[] }[];
    expect(first?.assignments[0]).toMatchObject({ recipient: "r@example.com", created: true });
    expect(again?.assignments[0]).toEqual({ ...first?.assignments[0], created: false });
    expect(h.state.grants).toHaveLength(1);
    const missing = await h.action("act@1", { config: { mode: "grant", bundle: "nope" } });
    expect(missing.error).toMatchObject({ code: "not_found", message: "Bundle nope does not exist" });
    const ack = await h.action("act@1", { config: { mode: "grant", bundle: "reports", ack: true } });
    expect(ack.error).toMatchObject({
      code: "validation_failed",
      message: "acknowledgementRequired needs a message to acknowledge",
    });
  });

  it("lets fetch reach a declared host through the egress guard (the responder stands for the network)", async () => {
    const out = await h.action("act@1", { config: { mode: "fetch", url: "https://api.example.com/v1" } });
    expect(out.outputs).toMatchObject({ status: 200, body: "answered https://api.example.com/v1" });
    // a wildcard in the manifest needs concrete approved hosts, as on the server
    const wild = await h.action("act@1", { config: { mode: "fetch", url: "https://a.example.net/" } });
    expect(wild.error?.code).toBe("capability_denied");
  });

  it("drives a trigger through arm, timer, request, control and status like the kernel", async () => {
    const arm = await h.trigger("tick@1", { type: "arm" }, { config: { k: 1 } });
    expect(arm.input).toMatchObject({
      event: { type: "arm" },
      config: { k: 1 },
      now,
      trigger: { id: "trigger", uses: "latchflow-plugin-harnessed/tick@1" },
      links: { checkIn: expect.stringMatching(/^http:\/\/127\.0\.0\.1:8080\/checkin\//) },
    });
    expect(h.timers()).toEqual([
      { key: "a", at: "2030-01-01T00:00:00.000Z" },
      { key: "b", at: now },
    ]);
    const timer = await h.trigger("tick@1", { type: "timer", key: "b" });
    expect(timer.input.event).toEqual({ type: "timer", key: "b", dueAt: now });
    // at most 10 runs per invocation; the fired timer is consumed, the others stay
    expect(timer.fires).toHaveLength(10);
    expect(timer.fires[0]).toEqual({ kind: "tick", payload: { i: 0, key: "b" } });
    expect(h.timers()).toEqual([{ key: "a", at: "2030-01-01T00:00:00.000Z" }]);

    const request = await h.trigger("tick@1", {
      type: "request",
      body: "ok",
      headers: { Authorization: "Bearer x", Cookie: "c", "X-Custom": "y" },
    });
    expect(request.result?.response).toEqual({
      status: 202,
      body: { "content-type": "application/json", "x-custom": "y" },
    });
    expect(request.input.event).toMatchObject({ request: { body: "ok", bodyBytes: 2, receivedAt: now } });
    expect(request.warnings).toEqual([]);
    // a webhook answer the REST contract does not declare (a server checking its answers makes it a 500)
    const undeclared = await h.trigger("tick@1", { type: "request", body: "200 please" });
    expect(undeclared.warnings).toEqual([
      expect.stringContaining("deliverWebhook 200: status 200 is not declared"),
    ]);

    const control = await h.trigger("tick@1", { type: "control", action: "pause", actor: "user:u1" });
    expect(control.result?.response?.body).toEqual({ action: "pause", actor: "user:u1" });

    // kv: five invocations committed (the undeclared answer's too: the server commits before it answers)
    expect(h.kv("trigger", "n")).toBe(5);
    const failed = await h.trigger("tick@1", { type: "request", body: "fail" });
    expect(failed.error).toMatchObject({ code: "plugin_error" });
    expect(h.kv("trigger", "n")).toBe(5);
    // status is read-only: its write is dropped
    const status = await h.trigger("tick@1", { type: "status" });
    expect(status.result?.response?.body).toEqual({ n: 5 });
    expect(status.input.links.checkIn).toBe("");
    expect(h.kv("trigger", "n")).toBe(5);
  });

  it("refuses a capability of the wrong kind or one the plugin lacks", async () => {
    await expect(h.action("tick@1")).rejects.toThrow("is a trigger, not an action");
    await expect(h.trigger("act@1", { type: "arm" })).rejects.toThrow("is an action, not a trigger");
    await expect(h.action("nope@1")).rejects.toThrow("has no capability nope@1");
  });
});
