import { describe, expect, it } from "vitest";
import { assertFilter, matchSubject, subjectFilter, subjectFor } from "./subjects.js";

describe("subjectFor", () => {
  it("builds lf.<tenant>.<domain>.<entity>.<verb>", () => {
    expect(subjectFor("default", "bundles.assignment.granted")).toBe("lf.default.bundles.assignment.granted");
    expect(subjectFor("acme-1", "auth.user.created")).toBe("lf.acme-1.auth.user.created");
  });

  it.each([
    ["", "empty"],
    ["Acme", "uppercase"],
    ["-acme", "leading dash"],
    ["ac.me", "dot"],
    ["ac*", "wildcard"],
    ["a_b", "underscore"],
    ["a".repeat(64), "64 chars"],
  ])("rejects tenant %j (%s)", (tenant) => {
    expect(() => subjectFor(tenant, "auth.user.created")).toThrow(/Invalid tenant/);
  });

  it("accepts a 63-char tenant", () => {
    expect(subjectFor("a".repeat(63), "auth.user.created")).toBe(`lf.${"a".repeat(63)}.auth.user.created`);
  });

  it.each([
    "auth.user",
    "auth.user.created.extra",
    "Auth.user.created",
    "auth..created",
    "auth.user.*",
    "auth.user.>",
    "auth.1user.created",
    "auth.user.cre ated",
    "",
  ])("rejects event type %j", (type) => {
    expect(() => subjectFor("default", type)).toThrow(/Invalid event type/);
  });
});

describe("subjectFilter", () => {
  it.each([
    [{}, "lf.>"],
    [{ tenant: "acme" }, "lf.acme.>"],
    [{ domain: "bundles" }, "lf.*.bundles.>"],
    [{ tenant: "acme", domain: "auth" }, "lf.acme.auth.>"],
    [{ entity: "user" }, "lf.*.*.user.*"],
    [{ tenant: "acme", domain: "auth", entity: "user" }, "lf.acme.auth.user.*"],
  ])("%j → %s", (parts, expected) => {
    expect(subjectFilter(parts)).toBe(expected);
  });

  it("validates the parts", () => {
    expect(() => subjectFilter({ tenant: "A" })).toThrow(/Invalid tenant/);
    expect(() => subjectFilter({ domain: "*" })).toThrow(/Invalid domain/);
    expect(() => subjectFilter({ entity: "a.b" })).toThrow(/Invalid entity/);
  });
});

describe("assertFilter", () => {
  it.each(["lf.>", "lf.*.bundles.>", "lf.acme.auth.user.created", "lf.*.*.*.*"])("accepts %s", (f) => {
    expect(() => assertFilter(f)).not.toThrow();
  });
  it.each([">", "lf", "x.>", "lf.>.a", "lf..a", "lf.a*.b", "lf.a b", ""])("rejects %j", (f) => {
    expect(() => assertFilter(f)).toThrow(/Invalid subject filter/);
  });
});

describe("matchSubject", () => {
  const s = "lf.acme.bundles.bundle.created";
  it.each([
    ["lf.>", s, true],
    ["lf.*.bundles.>", s, true],
    ["lf.*.auth.>", s, false],
    ["lf.acme.bundles.bundle.created", s, true],
    ["lf.acme.bundles.bundle.deleted", s, false],
    ["lf.*.*.*.*", s, true],
    ["lf.*.*.*", s, false],
    ["lf.*.*.*.*.*", s, false],
    ["lf.acme.bundles.bundle.created.>", s, false],
    ["lf.acme.bundles.bundle.>", s, true],
    ["lf.acme.bundles.bundle.*", s, true],
    ["*.>", s, true],
    [">", s, true],
    ["lf.other.>", s, false],
    ["lf.acme", s, false],
    ["lf.acme.bundles.bundle.created", "lf.acme.bundles.bundle", false],
  ])("%s ~ %s → %s", (filter, subject, expected) => {
    expect(matchSubject(filter, subject)).toBe(expected);
  });

  it("needs at least one token for >", () => {
    expect(matchSubject("lf.acme.>", "lf.acme")).toBe(false);
    expect(matchSubject("lf.acme.>", "lf.acme.x")).toBe(true);
  });
});
