import { REFERENCE_KEYWORD } from "@latchflow/spec/browser";
import { describe, expect, it } from "vitest";
import { checkValue, durationInWords, fieldOf, fieldsOf, labelOf } from "./schema-form.js";

const email = { type: "string", format: "email", maxLength: 254 };

/** Like grant@1's config schema (plugins/builtin), cut down. */
const GRANT = {
  type: "object",
  additionalProperties: false,
  required: ["bundle", "recipients"],
  properties: {
    bundle: { type: "string", minLength: 1, maxLength: 200, [REFERENCE_KEYWORD]: "bundle" },
    recipients: {
      type: "array",
      minItems: 1,
      maxItems: 500,
      uniqueItems: true,
      items: { ...email, [REFERENCE_KEYWORD]: "recipient" },
    },
    maxDownloads: { type: "integer", minimum: 0, default: 0, description: "0 means unlimited." },
    cooldown: { type: "string", format: "duration", examples: ["1h"] },
    notBefore: { type: "string", format: "date-time" },
    notify: { type: "boolean", default: true },
    message: { type: "string", maxLength: 4000 },
    backoff: { enum: ["exponential", "fixed"] },
    headers: { type: "object", additionalProperties: { type: "string" } },
    body: { description: "Any JSON value" },
    retry: { $ref: "#/$defs/retry" },
    cc: { type: "array", items: email },
  },
  $defs: { retry: { type: "object", properties: { maxAttempts: { type: "integer", minimum: 1 } } } },
};

describe("fieldsOf", () => {
  const fields = Object.fromEntries(fieldsOf(GRANT).map((f) => [f.key, f]));

  it("keeps the schema's order and marks the required fields", () => {
    expect(Object.keys(fields)).toEqual(Object.keys(GRANT.properties));
    expect(
      Object.values(fields)
        .filter((f) => f.required)
        .map((f) => f.key),
    ).toEqual(["bundle", "recipients"]);
  });

  it("turns each kind of property into a field the builder shows", () => {
    expect(fields.bundle).toMatchObject({ kind: "reference", reference: "bundle", label: "Bundle" });
    expect(fields.recipients).toMatchObject({
      kind: "list",
      minItems: 1,
      unique: true,
      items: { kind: "reference", reference: "recipient" },
    });
    expect(fields.cc).toMatchObject({ kind: "list", items: { kind: "email" } });
    expect(fields.maxDownloads).toMatchObject({
      kind: "integer",
      min: 0,
      default: 0,
      label: "Max downloads",
    });
    expect(fields.cooldown).toMatchObject({ kind: "duration", example: "1h" });
    expect(fields.notBefore?.kind).toBe("datetime");
    expect(fields.notify).toMatchObject({ kind: "boolean", default: true });
    expect(fields.message?.kind).toBe("multiline");
    expect(fields.backoff).toMatchObject({ kind: "choice", options: ["exponential", "fixed"] });
    expect(fields.headers?.kind).toBe("raw");
    expect(fields.body?.kind).toBe("raw");
    expect(fields.retry).toMatchObject({ kind: "object", fields: [{ key: "maxAttempts", kind: "integer" }] });
  });
});

describe("checkValue", () => {
  const f = (key: string) =>
    fieldOf(key, GRANT.properties[key as keyof typeof GRANT.properties], true, GRANT);

  it("says what is missing or wrong, in words", () => {
    expect(checkValue(f("bundle"), "")).toBe("Required.");
    expect(checkValue({ ...f("bundle"), required: false }, undefined)).toBeUndefined();
    expect(checkValue(f("cooldown"), "1 hour")).toMatch(/Not a duration/);
    expect(checkValue(f("cooldown"), "1h30m")).toBeUndefined();
    expect(checkValue(f("maxDownloads"), -1)).toBe("At least 0.");
    expect(checkValue(f("maxDownloads"), 1.5)).toBe("Must be a whole number.");
    expect(checkValue(f("maxDownloads"), "3x")).toBe("Must be a whole number.");
    expect(checkValue(f("recipients"), [])).toBe("Add at least one.");
    expect(checkValue(f("recipients"), ["a@example.com", "a@example.com"])).toBe("Each entry only once.");
    expect(checkValue(fieldOf("", GRANT.properties.cc.items, true), "nope")).toBe("Not an email address.");
    expect(checkValue(f("notBefore"), "2030-01-01")).toMatch(/with its offset/);
    expect(checkValue(f("backoff"), "linear")).toBe("One of: exponential, fixed.");
  });
});

describe("words", () => {
  it("labels keys and reads durations", () => {
    expect(labelOf("checkInEvery")).toBe("Check in every");
    expect(labelOf("html")).toBe("HTML");
    expect(labelOf("signWithSecret")).toBe("Sign with secret");
    expect(durationInWords("1h30m")).toBe("1 hour 30 minutes");
    expect(durationInWords("P1DT2H")).toBe("1 day 2 hours");
    expect(durationInWords("soon")).toBeUndefined();
  });
});
