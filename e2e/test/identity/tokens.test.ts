import type { Client, Scope } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, http } from "../http.js";
import { MODES, type Stack, startStack } from "../stack.js";

describe.each(MODES)("API tokens on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  beforeAll(async () => {
    // this file mints 1,000 tokens within seconds: lift the per-identity auth endpoint limit
    s = await startStack(dialect, bus, "tokens", { LATCHFLOW_AUTH_RATE_LIMIT: "100000" });
    api = s.client();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const create = (body: { name: string; scopes?: Scope[]; expiresInDays?: number }) =>
    api.createToken({ body });
  const me = (token: string) => s.client(token).raw.getMe();

  it("1,000 freshly minted tokens all authenticate", async () => {
    const tokens: string[] = [];
    for (let batch = 0; batch < 100; batch++) {
      const created = await Promise.all(
        Array.from({ length: 10 }, (_, i) => create({ name: `bulk-${batch}-${i}` })),
      );
      tokens.push(...created.map((c) => c.token));
    }
    expect(new Set(tokens).size).toBe(1000);
    for (const t of tokens) expect(t).toMatch(/^lf_[0-9a-z]{26}_[A-Za-z0-9_-]{43}$/);
    const failures: string[] = [];
    for (let i = 0; i < tokens.length; i += 20) {
      const results = await Promise.all(tokens.slice(i, i + 20).map((t) => me(t)));
      results.forEach((r, j) => {
        if (r.status !== 200) failures.push(tokens[i + j]!);
      });
    }
    expect(failures).toEqual([]);
  }, 180_000);

  it("rotation replaces the secret: the old one fails at once, the new one works", async () => {
    const c = await create({ name: "rotating" });
    const fresh = (await api.rotateToken({ params: { id: c.info.id } })).token;
    expect(fresh).not.toBe(c.token);
    expectError(await me(c.token), 401, "unauthenticated");
    expect((await me(fresh)).status).toBe(200);
  });

  it("revoked and expired tokens fail", async () => {
    const revoked = await create({ name: "revoked" });
    expect((await api.revokeToken({ params: { id: revoked.info.id } })).revokedAt).not.toBeNull();
    expectError(await me(revoked.token), 401, "unauthenticated");
    const expiring = await create({ name: "expiring", expiresInDays: 1 });
    expect((await me(expiring.token)).status).toBe(200);
    s.advance(86_400_000 + 1000);
    expectError(await me(expiring.token), 401, "unauthenticated");
  });

  it("a missing scope is 403; scopes beyond the role are refused", async () => {
    const readOnly = await create({ name: "read-only", scopes: ["bundles:read"] });
    const reader = s.client(readOnly.token);
    expect((await reader.raw.listBundles()).status).toBe(200);
    expectError(await reader.raw.createBundle({ body: { name: "nope" } }), 403, "permission_denied");
    // a scope that does not exist (the typed client would not send it)
    expectError(
      await s.api("POST", "/api/v1/tokens", { json: { name: "x", scopes: ["made:up"] } }),
      422,
      "validation_failed",
    );
  });

  it("tokens of a deactivated user stop working at once, and work again on reactivation", async () => {
    const invited = await api.inviteUser({ body: { email: "temp-admin@example.com", role: "admin" } });
    const browser = (await s.signIn("temp-admin@example.com")).client();
    const { token } = await browser.createToken({ body: { name: "mine" } });
    expect((await me(token)).status).toBe(200);
    const off = await api.updateUser({ params: { id: invited.id }, body: { active: false } });
    expect(off.active).toBe(false);
    expectError(await me(token), 401, "unauthenticated");
    expectError(await browser.raw.getMe(), 401, "unauthenticated");
    const on = await api.updateUser({ params: { id: invited.id }, body: { active: true } });
    expect(on.active).toBe(true);
    expect((await me(token)).status).toBe(200);
  });

  it("lists own tokens; to a user without users:admin another user's token does not exist", async () => {
    const listed = await create({ name: "listed" });
    const mine = await api.listTokens();
    expect(mine.items.map((t) => t.id)).toContain(listed.info.id);
    await api.inviteUser({ body: { email: "other@example.com", role: "executor" } });
    const other = (await s.signIn("other@example.com")).client();
    expectError(await other.raw.revokeToken({ params: { id: listed.info.id } }), 404, "not_found");
    expectError(await other.raw.listTokens({ query: { all: "true" } }), 403, "permission_denied");
    expect((await me(listed.token)).status).toBe(200);
  });
});

describe.each(MODES)("auth endpoint rate limits on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "authlimit", { LATCHFLOW_AUTH_RATE_LIMIT: "5" });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("limits every auth endpoint per identity and per IP with 429 and Retry-After", async () => {
    const statuses: number[] = [];
    const api = s.client();
    for (let i = 0; i < 6; i++) statuses.push((await api.raw.getMe()).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const limited = await api.raw.listTokens();
    expectError(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // other APIs are not auth endpoints
    expect((await api.raw.listBundles()).status).toBe(200);
  });

  it("limits the public trigger ingress per IP too (webhooks, check-in links)", async () => {
    s.advance(2 * 60_000); // a fresh window
    // unsigned deliveries and a made-up check-in token: refused, and counted
    const hook = () =>
      http(s.base, "POST", "/hooks/nope/incoming", {
        body: "{}",
        headers: { "content-type": "application/json" },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await hook()).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expectError(await hook(), 429, "rate_limited");
    expectError(await http(s.base, "POST", "/checkin/not-a-real-token-at-all"), 429, "rate_limited");
  });
});
