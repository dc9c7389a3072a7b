import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { kekFromBytes } from "./key-wrap.js";
import { createKeyring } from "./keyring.js";
import { openSecret, sealSecret } from "./secret-seal.js";

const oldKek = kekFromBytes(randomBytes(32));
const ring = createKeyring(kekFromBytes(randomBytes(32)), [oldKek], "env");

describe("sealed secrets", () => {
  it("round-trips and hides the plaintext", () => {
    const sealed = sealSecret(ring, "plugin-secret:default/x/key", Buffer.from("hunter2-hunter2"));
    expect(sealed.includes(Buffer.from("hunter2"))).toBe(false);
    expect(openSecret(ring, "plugin-secret:default/x/key", sealed).toString()).toBe("hunter2-hunter2");
  });

  it("refuses another context, a flipped byte, truncation and an unknown key", () => {
    const sealed = sealSecret(ring, "a", Buffer.from("value"));
    expect(() => openSecret(ring, "b", sealed)).toThrow(/integrity/);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 20] = (flipped[flipped.length - 20] ?? 0) ^ 1;
    expect(() => openSecret(ring, "a", flipped)).toThrow(/integrity/);
    expect(() => openSecret(ring, "a", sealed.subarray(0, 10))).toThrow(/malformed/);
    const other = createKeyring(kekFromBytes(randomBytes(32)), [], "env");
    expect(() => openSecret(other, "a", sealed)).toThrow(/unknown master key/);
  });

  it("opens values sealed by a retired key", () => {
    const before = createKeyring(oldKek, [], "env");
    const sealed = sealSecret(before, "a", Buffer.from("old"));
    expect(openSecret(ring, "a", sealed).toString()).toBe("old");
  });

  it("limits the size", () => {
    expect(() => sealSecret(ring, "a", Buffer.alloc(64 * 1024 + 1))).toThrow(/at most/);
  });
});
