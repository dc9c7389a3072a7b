import type { PluginPermission } from "@latchflow/plugin-sdk";
import { createLogger, type Mailer } from "@latchflow/runtime";
import type { Json } from "@latchflow/sandbox";
import { describe, expect, it } from "vitest";
import { type HostDeps, hostCapabilities } from "./host-capabilities.js";
import type { Kv } from "./kv.js";
import type { CapabilityEntry } from "./registry.js";
import type { ServiceActions } from "./service-actions.js";

const entry = (permissions: PluginPermission[], approvedHosts: string[] = []): CapabilityEntry => ({
  uses: "acme/notify@1",
  kind: "action",
  hostName: "default:acme@1.0.0",
  exportName: "notify@1",
  pluginName: "acme",
  pluginVersion: "1.0.0",
  builtin: false,
  enabled: true,
  descriptor: { kind: "action", configSchema: { type: "object" } },
  permissions,
  approvedHosts,
});

/** `once` as the kernel keeps it (one stored result per tenant + key), in memory. */
function fakeDeps() {
  const stored = new Map<string, Json>();
  const sent: { messageId?: string }[] = [];
  const mailer: Mailer = {
    send: async (m) => {
      sent.push(m);
      return { messageId: `sent-${sent.length}`, accepted: [] };
    },
    close: () => undefined,
  };
  const actions = {
    once: async (tenant: string, key: string, fn: () => Promise<Json>) => {
      const k = `${tenant}\0${key}`;
      if (!stored.has(k)) stored.set(k, await fn());
      return stored.get(k);
    },
  } as unknown as ServiceActions;
  const deps: HostDeps = {
    mailer,
    actions,
    secrets: async () => null,
    logger: createLogger({ level: "silent" }),
    egressAllowPrivate: false,
  };
  return { deps, sent };
}

const scope = (site: string, e: CapabilityEntry) => ({
  tenant: "default",
  entry: e,
  site,
  ctx: { requestId: "r", tenant: "default" },
  kv: {} as Kv,
});

describe("mail.send idempotency", () => {
  const mailer = entry([{ name: "mail.send", reason: "tells people" }]);
  const message = { to: "a@example.com", subject: "s", text: "t", idempotencyKey: "same-key-123" };

  it("the mail idempotency cache is scoped by pipeline and step: a key reused elsewhere is another mail", async () => {
    const { deps, sent } = fakeDeps();
    const a = await hostCapabilities(deps, scope("pipe-a/notify", mailer)).mail?.send(message);
    const b = await hostCapabilities(deps, scope("pipe-b/notify", mailer)).mail?.send(message);
    const c = await hostCapabilities(deps, scope("pipe-a/other", mailer)).mail?.send(message);
    expect(sent).toHaveLength(3);
    expect(new Set([a?.messageId, b?.messageId, c?.messageId]).size).toBe(3);
    expect(new Set(sent.map((m) => m.messageId)).size).toBe(3);
  });

  it("the same key in the same pipeline step is sent once (a retry gets the stored result)", async () => {
    const { deps, sent } = fakeDeps();
    const first = await hostCapabilities(deps, scope("pipe-a/notify", mailer)).mail?.send(message);
    const again = await hostCapabilities(deps, scope("pipe-a/notify", mailer)).mail?.send(message);
    expect(sent).toHaveLength(1);
    expect(again).toEqual(first);
  });
});

describe("grant and publish idempotency", () => {
  it("bundles.grant and links.publish keys are scoped by pipeline and step like mail (a plugin reusing a key in another pipeline never gets that pipeline's result)", async () => {
    const { deps } = fakeDeps();
    const callers: string[] = [];
    deps.actions.grant = async (_ctx, _req, caller) => {
      callers.push(`grant ${caller}`);
      return { bundleId: "b1", assignments: [] };
    };
    deps.actions.publish = async (_ctx, _req, caller) => {
      callers.push(`publish ${caller}`);
      return { linkId: "l", url: "u", expiresAt: "e" } as never;
    };
    const granter = entry([
      { name: "bundles.grant", reason: "grants" },
      { name: "links.publish", reason: "links" },
    ]);
    const request = { idempotencyKey: "same-key-123" } as never;
    for (const site of ["pipe-a/release", "pipe-b/release"]) {
      const caps = hostCapabilities(deps, scope(site, granter));
      await caps.bundles?.grant(request);
      await caps.links?.publish(request);
    }
    expect(callers).toEqual([
      "grant acme:pipe-a/release",
      "publish acme:pipe-a/release",
      "grant acme:pipe-b/release",
      "publish acme:pipe-b/release",
    ]);
  });
});
