import { describe, expect, it } from "vitest";
import {
  CAPABILITY_ID_PATTERN,
  CAPABILITY_NAME_MESSAGE,
  capabilityIdProblem,
  pluginNameProblem,
  USES_PATTERN,
  usesPrefix,
  usesProblem,
} from "./naming.js";

const long = `a${"b".repeat(64)}`; // 65 characters

describe("the capability naming rule", () => {
  it.each(["notify@1", "send-sms@12", "a@999999", `a${"b".repeat(63)}@1`])(
    "accepts the declared id %j",
    (id) => {
      expect(capabilityIdProblem(id)).toBeUndefined();
      expect(new RegExp(CAPABILITY_ID_PATTERN).test(id)).toBe(true);
    },
  );

  it.each([
    ["Notify@1", "uppercase"],
    ["slack/notify@1", "a slash"],
    ["notify", "@<major> is missing"],
    ["notify@", "@<major> is missing"],
    ["notify@0", "from 1"],
    ["notify@v1", "from 1"],
    [`${long}@1`, "longer than 64"],
    ["1notify@1", "start with a letter"],
    ["no_tify@1", "other than a-z"],
  ])("refuses the declared id %j (%s) with the rule's message", (id, why) => {
    const message = capabilityIdProblem(id);
    expect(message).toContain(why);
    expect(message).toContain(CAPABILITY_NAME_MESSAGE);
    expect(new RegExp(CAPABILITY_ID_PATTERN).test(id)).toBe(false);
  });

  it.each(["email@1", "slack/notify@2", "latchflow-plugin-x/upper@1"])("accepts uses %j", (uses) => {
    expect(usesProblem(uses)).toBeUndefined();
    expect(new RegExp(USES_PATTERN).test(uses)).toBe(true);
  });

  it.each([
    ["Email@1", "uppercase"],
    ["x/x/upper@1", "more than one slash"],
    ["slack/notify", "@<major> is missing"],
    [`slack/${long}@1`, "longer than 64"],
    [`${long}/notify@1`, "longer than 64"],
    ["Slack/notify@1", "uppercase"],
  ])("refuses uses %j (%s) with the rule's message", (uses, why) => {
    const message = usesProblem(uses);
    expect(message).toContain(why);
    expect(message).toContain(CAPABILITY_NAME_MESSAGE);
    expect(new RegExp(USES_PATTERN).test(uses)).toBe(false);
  });

  it("a package name's plugin part follows the rule too (its scope dropped)", () => {
    expect(usesPrefix("@acme/slack")).toBe("slack");
    expect(pluginNameProblem("@acme/slack")).toBeUndefined();
    expect(pluginNameProblem("latchflow-plugin-x")).toBeUndefined();
    expect(pluginNameProblem("slack.notify")).toContain("other than a-z");
    expect(pluginNameProblem(`@acme/${long}`)).toContain(CAPABILITY_NAME_MESSAGE);
  });
});
