import { createHash, createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { constantTimeEqual, hmacSha256 } from "../src/lib/hmac.js";
import { sha256, toHex, utf8 } from "../src/lib/sha256.js";
import { sign, verifySignature } from "../src/lib/signature.js";

/** A random string mixing ASCII, 2-, 3- and 4-byte characters and lone surrogates. */
function randomText(length: number): string {
  const pools = [
    () => String.fromCharCode(32 + Math.floor(Math.random() * 95)),
    () => String.fromCharCode(0x80 + Math.floor(Math.random() * 0x780)),
    () => String.fromCharCode(0x800 + Math.floor(Math.random() * 0xd000)),
    () => String.fromCodePoint(0x10000 + Math.floor(Math.random() * 0xfffff)),
    () => String.fromCharCode(0xd800 + Math.floor(Math.random() * 0x800)),
  ];
  let out = "";
  for (let i = 0; i < length; i++) out += pools[Math.floor(Math.random() * pools.length)]!();
  return out;
}

describe("pure-JS SHA-256 / HMAC against node:crypto", () => {
  it("hashes every length around the padding boundaries and random sizes", () => {
    const lengths = [...Array.from({ length: 200 }, (_, i) => i), 1_000, 4_095, 4_096, 65_537];
    for (const n of lengths) {
      const data = randomBytes(n);
      expect(toHex(sha256(data)), `length ${n}`).toBe(createHash("sha256").update(data).digest("hex"));
    }
    expect(toHex(sha256(utf8("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("encodes UTF-8 exactly like Node (lone surrogates become U+FFFD)", () => {
    for (let i = 0; i < 300; i++) {
      const text = randomText(Math.floor(Math.random() * 40));
      expect(Buffer.from(utf8(text)).equals(Buffer.from(text, "utf8")), JSON.stringify(text)).toBe(true);
    }
  });

  it("HMAC matches for 500 random keys (short, block-sized, longer than a block) and messages", () => {
    for (let i = 0; i < 500; i++) {
      const key = randomText([0, 1, 16, 32, 63, 64, 65, 200][i % 8]!);
      const message = randomText(Math.floor(Math.random() * 300));
      expect(toHex(hmacSha256(key, message))).toBe(createHmac("sha256", key).update(message).digest("hex"));
    }
  });

  it("signs `<timestamp>.<body>` and verifies only the exact signature", () => {
    const body = '{"event":"released","name":"Zoë 🎉"}';
    const expected = `sha256=${createHmac("sha256", "k3y").update(`1900000000.${body}`).digest("hex")}`;
    expect(sign("k3y", "1900000000", body)).toBe(expected);
    expect(verifySignature("k3y", "1900000000", body, expected)).toBe(true);
    expect(
      verifySignature("k3y", "1900000000", body, expected.toUpperCase().replace("SHA256", "sha256")),
    ).toBe(true);
    expect(verifySignature("k3y", "1900000001", body, expected)).toBe(false);
    expect(verifySignature("other", "1900000000", body, expected)).toBe(false);
    expect(verifySignature("k3y", "1900000000", `${body} `, expected)).toBe(false);
    expect(verifySignature("k3y", "1900000000", body, expected.slice(0, -1))).toBe(false);
    expect(verifySignature("k3y", "1900000000", body, expected.replace("sha256=", "sha1="))).toBe(false);
    expect(verifySignature("k3y", "1900000000", body, "")).toBe(false);
  });

  it("constantTimeEqual compares whole strings", () => {
    expect(constantTimeEqual("abcd", "abcd")).toBe(true);
    expect(constantTimeEqual("abcd", "abce")).toBe(false);
    expect(constantTimeEqual("abcd", "abc")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });
});
