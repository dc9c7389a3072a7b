import { describe, expect, it } from "vitest";
import { evaluateCondition } from "./cel-eval.js";

const ctx = {
  trigger: {
    id: "switch",
    uses: "deadman@1",
    kind: "fired",
    firedAt: new Date("2026-07-01T10:00:00Z"),
    payload: { amount: 12.5, tags: ["a", "b"], nested: { ok: true } },
  },
  steps: {
    a: { outcome: "succeeded", outputs: { url: "https://x" } },
    "b-x": { outcome: "skipped", outputs: null },
  },
};

describe("evaluateCondition", () => {
  it.each([
    ['trigger.kind == "fired"', true],
    ['trigger.kind == "manual"', false],
    ['trigger.kind != "manual" && steps.a.outcome == "succeeded"', true],
    ['steps["b-x"].outcome in ["succeeded", "skipped"]', true],
    ["trigger.payload.amount >= 10.5", true],
    ['"b" in trigger.payload.tags', true],
    ["trigger.payload.nested.ok", true],
    ['trigger.firedAt > timestamp("2030-01-01T00:00:00Z")', false],
    ['trigger.firedAt.getHours("Europe/Berlin") == 12', true],
    ['trigger.firedAt - timestamp("2026-07-01T09:00:00Z") >= duration("1h")', true],
    ['steps.a.outputs.url.startsWith("https://")', true],
  ])("%s → %s", (expr, expected) => {
    expect(evaluateCondition(expr, ctx)).toEqual({ ok: true, value: expected });
  });

  it("reports runtime errors instead of throwing", () => {
    const missing = evaluateCondition("trigger.payload.nope == 1", ctx);
    expect(missing.ok).toBe(false);
    const notBool = evaluateCondition("trigger.kind", ctx);
    expect(notBool).toEqual({ ok: false, message: expect.stringContaining("not a boolean") });
  });
});
