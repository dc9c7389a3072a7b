import type { schemas } from "@latchflow/api";
import { describe, expect, it } from "vitest";
import { byStateThenNewest, tokenState } from "./tokens.js";

const now = new Date("2026-12-06T12:00:00Z");
const token = (over: Partial<schemas.Token>): schemas.Token => ({
  id: "t",
  userId: "u",
  name: "t",
  scopes: [],
  createdAt: "2026-12-01T00:00:00.000Z",
  expiresAt: null,
  lastUsedAt: null,
  revokedAt: null,
  ...over,
});

describe("tokenState", () => {
  it("is active without expiry or before it, expired from it on, revoked above all", () => {
    expect(tokenState(token({}), now)).toBe("active");
    expect(tokenState(token({ expiresAt: "2026-12-06T12:00:01.000Z" }), now)).toBe("active");
    expect(tokenState(token({ expiresAt: "2026-12-06T12:00:00.000Z" }), now)).toBe("expired");
    expect(
      tokenState(
        token({ expiresAt: "2026-01-01T00:00:00.000Z", revokedAt: "2025-12-01T00:00:00.000Z" }),
        now,
      ),
    ).toBe("revoked");
  });

  it("orders active tokens first, then the newest", () => {
    const rows = [
      token({ id: "old", createdAt: "2026-11-01T00:00:00.000Z" }),
      token({ id: "revoked", createdAt: "2026-12-05T00:00:00.000Z", revokedAt: "2026-12-05T01:00:00.000Z" }),
      token({ id: "new", createdAt: "2026-12-02T00:00:00.000Z" }),
    ];
    expect(rows.sort(byStateThenNewest(now)).map((t) => t.id)).toEqual(["new", "old", "revoked"]);
  });
});
