import type { Client } from "@latchflow/api";
import { createInProcessBus, type EventBus } from "@latchflow/bus";
import { type RunningNode, startGateway } from "@latchflow/cli";
import { createBusFromConfig, createLogger } from "@latchflow/runtime";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, http } from "../http.js";
import { Browser, MODES, OWNER_EMAIL, type Stack, startStack } from "../stack.js";

const TTL_MS = 60_000;
/** well under the TTL: a refusal within it came from the revocation's event, not from the entry expiring */
const EVENT_WAIT_MS = 10_000;

// ADR 054: gateways cache identities for LATCHFLOW_IDENTITY_CACHE_MS and drop them on the auth events. Three
// gateways on one set of services: A (the stack's), B (another one on the services' bus; on NATS with its own
// connection, as another process would) and C, whose bus is its own and never hears an auth event (every
// event lost).
describe.each(MODES)("identity cache across gateways on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  let busB: EventBus;
  const deaf = createInProcessBus();
  const gateways: RunningNode[] = [];
  let a: string;
  let b: string;
  let c: string;
  const logger = createLogger({ level: "silent" });

  beforeAll(async () => {
    s = await startStack(dialect, bus, "idcache", { LATCHFLOW_IDENTITY_CACHE_MS: String(TTL_MS) });
    api = s.client();
    busB = bus === "nats" ? await createBusFromConfig(s.config, logger) : s.bus;
    const url = (node: RunningNode) => `http://${s.config.http.host}:${node.port}`;
    for (const gatewayBus of [busB, deaf]) {
      gateways.push(
        await startGateway(s.config, logger, s.addresses, { bus: gatewayBus, now: () => s.now() }),
      );
    }
    a = s.base;
    b = url(gateways[0]!);
    c = url(gateways[1]!);
  });
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    if (bus === "nats") await busB?.close();
    await deaf.close();
    await s?.stop();
  });

  const me = async (base: string, token: string) =>
    (await http(base, "GET", "/api/v1/auth/me", { token })).status;
  const tokenOf = async (email: string) =>
    (await (await s.signIn(email)).client().createToken({ body: { name: "t" } })).token;

  it("a revoked token is refused at once where it was revoked, by event on the others, after the TTL where the event was lost", async () => {
    const made = await api.createToken({ body: { name: "to-revoke" } });
    for (const base of [a, b, c]) expect(await me(base, made.token)).toBe(200);
    await api.revokeToken({ params: { id: made.info.id } });
    expect(await me(a, made.token)).toBe(401);
    await waitFor(async () => (await me(b, made.token)) === 401, {
      timeoutMs: EVENT_WAIT_MS,
      description: "B drops the token",
    });
    // C never heard: it keeps the identity it cached (this is the staleness the TTL bounds) ...
    expect(await me(c, made.token)).toBe(200);
    s.advance(TTL_MS + 1);
    // ... and not a moment longer
    expect(await me(c, made.token)).toBe(401);
  });

  it("a role change narrows the user's identity at once on every gateway hearing it; deactivation refuses it", async () => {
    const userId = (await api.inviteUser({ body: { email: "narrowed@example.com", role: "admin" } })).id;
    const token = await tokenOf("narrowed@example.com");
    const audit = async (base: string) => (await http(base, "GET", "/api/v1/audit", { token })).status;
    expect(await audit(b)).toBe(200);
    expect(await audit(b)).toBe(200);
    await api.updateUser({ params: { id: userId }, body: { role: "executor" } });
    expect(await audit(a)).toBe(403);
    await waitFor(async () => (await audit(b)) === 403, {
      timeoutMs: EVENT_WAIT_MS,
      description: "B narrows the role",
    });
    expect(await me(b, token)).toBe(200);
    await api.updateUser({ params: { id: userId }, body: { active: false } });
    expect(await me(a, token)).toBe(401);
    await waitFor(async () => (await me(b, token)) === 401, {
      timeoutMs: EVENT_WAIT_MS,
      description: "B refuses the deactivated user",
    });
  });

  it("a cached session still needs its CSRF token for changes, and signing out ends it on every gateway", async () => {
    const browser = await s.signIn(OWNER_EMAIL);
    const onB = new Browser(b);
    for (const [k, v] of browser.cookies) onB.cookies.set(k, v);
    expect((await onB.request("GET", "/api/v1/auth/me")).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const without = await onB.request("POST", "/api/v1/bundles", { json: { name: "no-csrf" } });
      expect(expectError(without, 403, "permission_denied").details?.reason).toBe("csrf");
    }
    expect(
      (await onB.request("POST", "/api/v1/bundles", { json: { name: "csrf" }, csrf: "user" })).status,
    ).toBe(201);
    expect((await browser.client().logout()).status).toBe(204);
    await waitFor(async () => (await onB.request("GET", "/api/v1/auth/me")).status === 401, {
      timeoutMs: EVENT_WAIT_MS,
      description: "B ends the session",
    });
  });

  it("a narrower token stays narrow when its identity comes from the cache", async () => {
    const { token } = await api.createToken({ body: { name: "read-only", scopes: ["bundles:read"] } });
    for (let i = 0; i < 3; i++) {
      expect((await http(b, "GET", "/api/v1/bundles", { token })).status).toBe(200);
      expectError(
        await http(b, "POST", "/api/v1/bundles", { token, json: { name: "x" } }),
        403,
        "permission_denied",
      );
    }
  });
});
