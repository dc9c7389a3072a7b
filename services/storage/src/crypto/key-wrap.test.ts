import { randomBytes } from "node:crypto";
import { ErrorCode } from "@latchflow/runtime";
import { describe, expect, it } from "vitest";
import { kekFromBytes, kekId, unwrapDek, WRAPPED_DEK_LENGTH, wrapDek } from "./key-wrap.js";

describe("data key wrapping", () => {
  const kek = kekFromBytes(randomBytes(32));
  const dek = randomBytes(32);

  it("wraps and unwraps; the key id is 16 hex characters derived from the key", () => {
    const wrapped = wrapDek(kek, "blob-a", dek);
    expect(wrapped.length).toBe(WRAPPED_DEK_LENGTH);
    expect(unwrapDek(kek, "blob-a", wrapped).equals(dek)).toBe(true);
    expect(kek.id).toMatch(/^[0-9a-f]{16}$/);
    expect(kekId(kek.key)).toBe(kek.id);
    expect(kekFromBytes(randomBytes(32)).id).not.toBe(kek.id);
    // random nonce: wrapping twice differs
    expect(wrapDek(kek, "blob-a", dek).equals(wrapped)).toBe(false);
  });

  it("refuses another KEK, another blob's id, or any altered byte", () => {
    const wrapped = wrapDek(kek, "blob-a", dek);
    const failures = [
      () => unwrapDek(kekFromBytes(randomBytes(32)), "blob-a", wrapped),
      () => unwrapDek(kek, "blob-b", wrapped),
      () => unwrapDek(kek, "blob-a", wrapped.subarray(1)),
      ...[0, 12, 40, WRAPPED_DEK_LENGTH - 1].map((at) => () => {
        const bad = Buffer.from(wrapped);
        bad[at]! ^= 1;
        return unwrapDek(kek, "blob-a", bad);
      }),
    ];
    for (const f of failures) expect(f).toThrow(expect.objectContaining({ code: ErrorCode.IntegrityFailed }));
  });
});
