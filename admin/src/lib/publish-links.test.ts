import { describe, expect, it } from "vitest";
import { linkState, parseMaxUses, usesText } from "./publish-links.js";

const link = {
  id: "l",
  bundleId: "b",
  expiresAt: "2026-06-01T00:00:00.000Z",
  maxUses: 3,
  uses: 1,
  createdAt: "2026-05-01T00:00:00.000Z",
  revokedAt: null,
};
const now = new Date("2026-05-15T00:00:00.000Z");

describe("publish links", () => {
  it("tells the state: revoked before expired before used up", () => {
    expect(linkState(link, now)).toBe("active");
    expect(linkState({ ...link, uses: 3 }, now)).toBe("used-up");
    expect(linkState({ ...link, maxUses: 0, uses: 99 }, now)).toBe("active");
    expect(linkState({ ...link, uses: 3 }, new Date("2026-06-01T00:00:00.000Z"))).toBe("expired");
    expect(linkState({ ...link, revokedAt: "2026-05-02T00:00:00.000Z" }, new Date("2027-01-01"))).toBe(
      "revoked",
    );
  });

  it("says the uses and what is left", () => {
    expect(usesText(link)).toBe("1 of 3 used, 2 left");
    expect(usesText({ uses: 5, maxUses: 3 })).toBe("5 of 3 used, 0 left");
    expect(usesText({ uses: 1, maxUses: 0 })).toBe("1 download, no limit");
    expect(usesText({ uses: 0, maxUses: 0 })).toBe("0 downloads, no limit");
  });

  it("reads the maximum downloads field", () => {
    expect(parseMaxUses("")).toEqual({ maxUses: 0 });
    expect(parseMaxUses(" 5 ")).toEqual({ maxUses: 5 });
    expect(parseMaxUses("1,000")).toEqual({ maxUses: 1000 });
    expect(parseMaxUses("0")).toEqual({ error: expect.stringContaining("from 1") });
    expect(parseMaxUses("1000001")).toEqual({ error: expect.stringContaining("1,000,000") });
    expect(parseMaxUses("2.5")).toEqual({ error: expect.stringContaining("whole number") });
    expect(parseMaxUses("-1")).toEqual({ error: expect.stringContaining("whole number") });
  });
});
