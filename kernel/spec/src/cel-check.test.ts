import { describe, expect, it } from "vitest";
import { checkCondition } from "./cel-check.js";

const ctx = { stepId: "c", earlierSteps: new Set(["a", "b-x"]), allSteps: new Set(["a", "b-x", "c", "d"]) };
const codes = (expr: string) => checkCondition(expr, ctx).map((i) => i.code);

describe("checkCondition", () => {
  it.each([
    'trigger.kind == "fired"',
    'trigger.kind != "manual" && steps.a.outcome == "succeeded"',
    'steps["b-x"].outcome in ["succeeded", "skipped"]',
    "has(steps.a.outputs.url)",
    "steps.a.outputs.count > 3",
    "trigger.payload.amount >= 10.5 || !(trigger.kind == 'cron')",
    'trigger.firedAt > timestamp("2030-01-01T00:00:00Z")',
    'trigger.firedAt.getHours("Europe/Berlin") < 9',
    "size(steps.a.outputs.items) == 0",
    "steps.a.outputs.items.exists(i, i.ok)",
    "[1, 2, 3].all(n, n > 0)",
    'trigger.kind.startsWith("fi") ? true : false',
    'trigger.firedAt - timestamp("2030-01-01T00:00:00Z") > duration("1h")',
    "dyn(trigger.payload) == 1",
  ])("accepts %s", (expr) => {
    expect(checkCondition(expr, ctx)).toEqual([]);
  });

  it.each([
    ["trigger.kind ==", "cel_syntax"],
    ["trigger.kind == 5", "cel_type"],
    ["trigger.kind", "cel_type"],
    ["trigger.nope", "cel_type"],
    ["unknownVar == 1", "cel_type"],
    ["trigger.kind + 1 == 2", "cel_type"],
    ["nope(trigger.kind)", "cel_type"],
    ["trigger.kind.frobnicate()", "cel_type"],
    ["steps.a.outcome == 1", "cel_type"],
    ["trigger.firedAt > 5", "cel_type"],
    ['steps.d.outcome == "ok"', "unknown_step_reference"],
    ['steps["c"].outcome == "ok"', "unknown_step_reference"],
    ['steps.zzz.outcome == "ok"', "unknown_step_reference"],
  ])("rejects %s with %s", (expr, code) => {
    expect(codes(expr)).toEqual([code]);
  });

  it("locates the offending sub-expression", () => {
    const [issue] = checkCondition('trigger.kind == "x" && steps.d.outcome == "ok"', ctx);
    expect(issue).toMatchObject({ code: "unknown_step_reference", start: 23, end: 30 });
    expect(issue?.message).toContain("runs after step 'c'");
  });

  it("lets comprehension variables shadow globals", () => {
    expect(codes("[1].all(steps, steps > 0)")).toEqual([]);
  });
});
