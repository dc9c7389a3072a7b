import { describe, expect, it } from "vitest";
import { CAPABILITY_NAME_MESSAGE } from "./naming.js";
import { formatUses, parseUses } from "./uses.js";

describe("parseUses", () => {
  it("parses a built-in capability", () => {
    expect(parseUses("email@1")).toEqual({
      ok: true,
      value: { capability: "email", major: 1, key: "email" },
    });
  });

  it("parses a third-party capability", () => {
    expect(parseUses("acme-sms/send@12")).toEqual({
      ok: true,
      value: { plugin: "acme-sms", capability: "send", major: 12, key: "acme-sms/send" },
    });
  });

  it.each([
    "email",
    "email@",
    "email@v1",
    "Email@1",
    "@1",
    "a/b/c@1",
    "email@01",
    "email@0",
    "email@1.2",
    "-x@1",
    `${"x".repeat(65)}@1`,
  ])("rejects %j with the naming rule's message", (text) => {
    const result = parseUses(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(CAPABILITY_NAME_MESSAGE);
  });

  it("formats back", () => {
    const parsed = parseUses("acme/sms@2");
    expect(parsed.ok && formatUses(parsed.value)).toBe("acme/sms@2");
  });
});
