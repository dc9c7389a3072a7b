import type { HostCapabilities, Json, JsonObject, LogLevel, MailMessage } from "@latchflow/sandbox";
import { afterAll, describe, expect, it } from "vitest";
import { createPluginHost, type PluginHost } from "../src/index.js";
import { PING, pidOf, pluginCode, rejection, waitFor } from "./helpers.js";

const host = createPluginHost();
afterAll(() => host.close());

const DEADLINE = { deadlineMs: 2_000 };

describe("plugin host child process", () => {
  it("forks lazily, loads and invokes a plugin in another process", async () => {
    expect(host.pid()).toBeUndefined();
    await host.load({ name: "echo", code: pluginCode(PING) });
    const pid = pidOf(host);
    expect(pid).not.toBe(process.pid);
    expect(await host.invoke("echo", "ping@1", { a: [1, "x"] }, {}, DEADLINE)).toEqual({
      pong: { a: [1, "x"] },
    });
    expect(await host.ping()).toBeGreaterThanOrEqual(0);
  });

  it("forwards capability calls to the parent with copied data and returns their results", async () => {
    const stored: JsonObject = { count: 1, tags: ["a"] };
    const kvStore = new Map<string, Json>([["state", stored]]);
    const kvSets: [string, Json][] = [];
    const logs: [LogLevel, string, JsonObject][] = [];
    const mails: MailMessage[] = [];
    const caps: HostCapabilities = {
      kv: {
        get: async (key) => kvStore.get(key) ?? null,
        set: async (key, value) => {
          kvSets.push([key, value]);
          kvStore.set(key, value);
        },
        delete: async (key) => {
          kvStore.delete(key);
        },
      },
      log: (level, message, fields) => {
        logs.push([level, message, fields]);
      },
      mail: {
        send: async (message) => {
          mails.push(message);
          return { messageId: `m-${mails.length}` };
        },
      },
    };
    await host.load({
      name: "caps",
      code: pluginCode(`"work@1": { kind: "action", async run(input, host) {
        const state = await host.kv.get("state");
        state.count += 1;            // mutates the plugin's copy only
        state.tags.push("b");
        await host.kv.set("next", state);
        host.log("info", "working", { to: input.to });
        const sent = await host.mail.send({ to: input.to, subject: "s", text: "t", idempotencyKey: "k1" });
        return { sent, state, granted: host.granted };
      } }`),
    });
    const out = (await host.invoke("caps", "work@1", { to: "a@example.com" }, caps, DEADLINE)) as JsonObject;
    expect(out.sent).toEqual({ messageId: "m-1" });
    expect(out.state).toEqual({ count: 2, tags: ["a", "b"] });
    expect(out.granted).toEqual(expect.arrayContaining(["kv.get", "kv.set", "log", "mail.send"]));
    expect(out.granted).not.toContain("fetch");
    // the parent's object was copied out, not shared
    expect(stored).toEqual({ count: 1, tags: ["a"] });
    expect(kvSets).toEqual([["next", { count: 2, tags: ["a", "b"] }]]);
    expect(kvSets[0]?.[1]).not.toBe(stored);
    expect(logs).toEqual([["info", "working", { to: "a@example.com" }]]);
    expect(mails).toEqual([{ to: "a@example.com", subject: "s", text: "t", idempotencyKey: "k1" }]);
  });

  it("a host capability's typed error reaches the plugin by code", async () => {
    await host.load({
      name: "failing",
      code: pluginCode(`"x@1": { kind: "action", async run(input, host) {
        try { await host.kv.get("k"); return "no"; } catch (e) { return { code: e.code, retryable: e.retryable, message: e.message }; }
      } }`),
    });
    const caps: HostCapabilities = {
      kv: {
        get: async () => {
          throw Object.assign(new Error("kv down"), { code: "unavailable", retryable: true });
        },
        set: async () => {},
        delete: async () => {},
      },
    };
    expect(await host.invoke("failing", "x@1", null, caps, DEADLINE)).toEqual({
      code: "unavailable",
      retryable: true,
      message: "kv down",
    });
  });

  it("an ungranted capability fails capability_denied", async () => {
    await host.load({
      name: "greedy",
      code: pluginCode(`"x@1": { kind: "action", async run(input, host) { await host.mail.send({}); } }`),
    });
    const err = await rejection(host.invoke("greedy", "x@1", null, {}, DEADLINE));
    expect(err).toMatchObject({ code: "capability_denied", retryable: false });
  });

  it("plugin errors and load errors are typed", async () => {
    await expect(host.load({ name: "broken", code: "globalThis.plugin = {" })).rejects.toMatchObject({
      code: "plugin_error",
    });
    const err = await rejection(host.invoke("broken", "x@1", null, {}, DEADLINE));
    expect(err).toMatchObject({ code: "sandbox_crashed", retryable: false });
    await host.load({
      name: "thrower",
      code: pluginCode(`"x@1": { kind: "action", run() { throw new Error("nope"); } }`),
    });
    expect(await rejection(host.invoke("thrower", "x@1", null, {}, DEADLINE))).toMatchObject({
      code: "plugin_error",
      message: expect.stringContaining("nope"),
    });
  });

  it("a failed reload leaves the loaded version serving; a successful one replaces it", async () => {
    const version = (n: number) => pluginCode(`"v@1": { kind: "action", run() { return ${n}; } }`);
    await host.load({ name: "versioned", code: version(1) });
    expect(await host.invoke("versioned", "v@1", null, {}, DEADLINE)).toBe(1);
    await expect(host.load({ name: "versioned", code: "globalThis.plugin = {" })).rejects.toMatchObject({
      code: "plugin_error",
    });
    expect(await host.invoke("versioned", "v@1", null, {}, DEADLINE)).toBe(1);
    await host.load({ name: "versioned", code: version(2) });
    expect(await host.invoke("versioned", "v@1", null, {}, DEADLINE)).toBe(2);
    expect(await host.invoke("versioned", "v@1", null, {}, DEADLINE)).toBe(2);
  });
});

describe("plugin host: one context per invocation", () => {
  it("state an invocation leaves (globals, prototypes, closures) is not visible to the next", async () => {
    const code = pluginCode(`"state@1": { kind: "action", async run(input, host) {
      const seen = { global: typeof globalThis.leak, proto: [].polluted === undefined ? "clean" : "dirty", closure: closureState.count };
      if (input === "pollute") {
        globalThis.leak = 1;
        Array.prototype.polluted = true;
        closureState.count++;
        await host.kv.get("k");
      }
      return seen;
    } }`);
    await host.load({ name: "stateful", code: `const closureState = { count: 0 };\n${code}` });
    const kv = { get: async () => null, set: async () => {}, delete: async () => {} };
    const clean = { global: "undefined", proto: "clean", closure: 0 };
    for (let i = 0; i < 3; i++) {
      expect(await host.invoke("stateful", "state@1", "pollute", { kv }, DEADLINE)).toEqual(clean);
    }
    expect(await host.invoke("stateful", "state@1", "check", {}, DEADLINE)).toEqual(clean);
  });
});

describe("plugin host: how many invocations of one plugin run at once", () => {
  /** Invokes `wait@1` with keys a and b at once; each waits in `kv.get` until released. */
  async function twoAtOnce(target: PluginHost, name: string) {
    await target.load({
      name,
      code: pluginCode(`"wait@1": { kind: "action", async run(input, host) {
        await host.kv.get(input.key);
        return { done: input.key };
      } }`),
    });
    const started: string[] = [];
    const release = new Map<string, () => void>();
    const caps: HostCapabilities = {
      kv: {
        get: (key) =>
          new Promise<Json>((resolve) => {
            started.push(key);
            release.set(key, () => resolve(null));
          }),
        set: async () => {},
        delete: async () => {},
      },
    };
    const a = target.invoke(name, "wait@1", { key: "a" }, caps, { deadlineMs: 5_000 });
    const b = target.invoke(name, "wait@1", { key: "b" }, caps, { deadlineMs: 5_000 });
    return { started, release: (key: string) => release.get(key)?.(), a, b };
  }

  it("maxConcurrentInvocations: 1 runs one at a time; the next starts when the first is done", async () => {
    const one = createPluginHost({ maxConcurrentInvocations: 1 });
    try {
      const run = await twoAtOnce(one, "one-at-a-time");
      await waitFor(() => run.started.length === 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(run.started).toEqual(["a"]); // b waits for a's turn
      run.release("a");
      expect(await run.a).toEqual({ done: "a" });
      await waitFor(() => run.started.length === 2);
      run.release("b");
      expect(await run.b).toEqual({ done: "b" });
    } finally {
      await one.close();
    }
  });

  it("by default (32) both run at once", async () => {
    const run = await twoAtOnce(host, "both-at-once");
    await waitFor(() => run.started.length === 2);
    expect([...run.started].sort()).toEqual(["a", "b"]);
    run.release("a");
    run.release("b");
    expect(await Promise.all([run.a, run.b])).toEqual([{ done: "a" }, { done: "b" }]);
  });
});
