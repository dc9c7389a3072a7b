import { EVENT_TYPES } from "@latchflow/bus";
import type { authV1 } from "@latchflow/proto";
import { describe, expect, it } from "vitest";
import { cacheKey, IdentityCache } from "../src/identity-cache.js";
import { IDENTITY_DROPS, IDENTITY_KEEPS } from "../src/identity-invalidation.js";

const TOKEN = "lf_secret-token-value-0123456789";

function identity(over: Partial<authV1.Identity> = {}): authV1.Identity {
  return {
    tenant: "default",
    kind: "user",
    subjectId: "user-1",
    email: "a@example.com",
    role: "admin",
    credentialId: "tok-1",
    scopes: ["bundles:read"],
    permissions: [],
    csrfHash: "",
    ...over,
  };
}

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Looks up, and stores `id` when it was a miss (as the caching auth client does). */
function resolve(cache: IdentityCache, token: string, id: authV1.Identity, kind = "bearer"): boolean {
  const found = cache.lookup(kind, token);
  if ("identity" in found) return true;
  cache.store(found.ticket, id);
  return false;
}

describe("IdentityCache", () => {
  it("keeps an identity for the TTL only, keyed by the credential's hash, never the credential", () => {
    const c = clock();
    const cache = new IdentityCache({ ttlMs: 5_000, now: c.now });
    const found = cache.lookup("bearer", TOKEN);
    expect("ticket" in found && found.ticket?.key).toBe(cacheKey("bearer", TOKEN));
    expect(cacheKey("bearer", TOKEN)).not.toContain(TOKEN);
    expect(cacheKey("bearer", TOKEN)).not.toContain(TOKEN.slice(3, 15));
    expect(resolve(cache, TOKEN, identity())).toBe(false);
    expect(resolve(cache, TOKEN, identity())).toBe(true);
    // a session cookie with the same value is another credential
    expect(resolve(cache, TOKEN, identity(), "user_session")).toBe(false);
    c.advance(4_999);
    expect(resolve(cache, TOKEN, identity())).toBe(true);
    c.advance(1);
    expect(resolve(cache, TOKEN, identity())).toBe(false);
  });

  it("never keeps an identity past its validUntil, and not at all once it has passed", () => {
    const c = clock();
    const cache = new IdentityCache({ ttlMs: 60_000, now: c.now });
    expect(resolve(cache, TOKEN, identity({ validUntil: new Date(c.now() + 1_000) }))).toBe(false);
    c.advance(999);
    expect(resolve(cache, "other", identity())).toBe(false);
    expect(resolve(cache, TOKEN, identity())).toBe(true);
    c.advance(1);
    expect(resolve(cache, TOKEN, identity({ validUntil: new Date(c.now()) }))).toBe(false);
    expect(cache.lookup("bearer", TOKEN)).toHaveProperty("ticket");
  });

  it("drops a subject's or credential's identities, and voids lookups in flight at that moment", () => {
    const cache = new IdentityCache({ ttlMs: 60_000 });
    resolve(cache, "t1", identity({ subjectId: "u1", credentialId: "c1" }));
    resolve(cache, "t2", identity({ subjectId: "u1", credentialId: "c2" }));
    resolve(cache, "t3", identity({ subjectId: "u2", credentialId: "c3" }));
    cache.drop(["c1"]);
    expect(cache.size).toBe(2);
    cache.drop(["u1"]);
    expect(cache.size).toBe(1);
    expect(resolve(cache, "t3", identity())).toBe(true);

    // an Authenticate answered before a revocation and returning after it is not kept
    const inFlight = cache.lookup("bearer", "t4");
    cache.drop(["somebody-else"]);
    if (!("ticket" in inFlight)) throw new Error("expected a miss");
    cache.store(inFlight.ticket, identity());
    expect(cache.lookup("bearer", "t4")).toHaveProperty("ticket");
    const beforeClear = cache.lookup("bearer", "t5");
    cache.clear();
    if (!("ticket" in beforeClear)) throw new Error("expected a miss");
    cache.store(beforeClear.ticket, identity());
    expect(cache.size).toBe(0);
  });

  it("holds at most maxEntries, dropping the least recently used", () => {
    const cache = new IdentityCache({ ttlMs: 60_000, maxEntries: 2 });
    resolve(cache, "a", identity());
    resolve(cache, "b", identity());
    expect(resolve(cache, "a", identity())).toBe(true);
    resolve(cache, "c", identity());
    expect(cache.size).toBe(2);
    expect(resolve(cache, "a", identity())).toBe(true);
    expect(resolve(cache, "b", identity())).toBe(false);
  });

  it("with a TTL of 0 keeps nothing", () => {
    const cache = new IdentityCache({ ttlMs: 0 });
    expect(resolve(cache, TOKEN, identity())).toBe(false);
    expect(resolve(cache, TOKEN, identity())).toBe(false);
    expect(cache.size).toBe(0);
  });
});

describe("the auth events a gateway listens to", () => {
  it("classifies every auth event of the catalogue once: drops cached identities, or cannot narrow one", () => {
    const auth = EVENT_TYPES.filter((t) => t.startsWith("auth."));
    const drops = Object.keys(IDENTITY_DROPS);
    expect([...drops, ...IDENTITY_KEEPS].sort()).toEqual([...auth].sort());
    for (const t of [
      "auth.token.revoked",
      "auth.session.revoked",
      "auth.user.deactivated",
      "auth.user.role-changed",
    ]) {
      expect(drops).toContain(t);
    }
  });
});
