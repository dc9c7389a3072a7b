import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { macTextMatches } from "./mac-text.js";

const mac = createHmac("sha256", "k").update("body").digest();
const text = mac.toString("base64url");

describe("macTextMatches", () => {
  it("accepts the MAC's own text", () => {
    expect(text).toHaveLength(43);
    expect(macTextMatches(text, mac)).toBe(true);
  });

  it("refuses every other spelling, including those that decode to the same bytes", () => {
    const last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const aliases = [...last]
      .map((c) => text.slice(0, -1) + c)
      .filter((t) => t !== text && Buffer.from(t, "base64url").equals(mac));
    expect(aliases).toHaveLength(3); // the two unused bits of the last character
    for (const t of aliases) expect(macTextMatches(t, mac)).toBe(false);
    for (const t of [`${text}=`, `${text} `, `${text}\n`, text.replace(/-/g, "+"), "", text.slice(0, -1)]) {
      if (t !== text) expect(macTextMatches(t, mac)).toBe(false);
    }
  });

  it("refuses text that is not ASCII without throwing", () => {
    expect(macTextMatches(`${text.slice(0, -1)}é`, mac)).toBe(false);
    expect(macTextMatches("\u{1F600}".repeat(22), mac)).toBe(false);
  });
});
