import { isCelError, run } from "@bufbuild/cel";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";

/** What an `if:` condition sees (the same names the type checker knows). */
export interface ConditionContext {
  trigger: { id: string; uses: string; kind: string; firedAt: Date; payload: unknown };
  steps: Record<string, { outcome: string; outputs: unknown }>;
}

export type ConditionResult = { ok: true; value: boolean } | { ok: false; message: string };

/** JSON as CEL input: integers stay doubles (JSON numbers), `null` and nested values pass through. */
function celJson(value: unknown): unknown {
  if (value === undefined) return null;
  return value;
}

/**
 * Evaluates a step's `if:` (already type-checked at save time) with @bufbuild/cel. A runtime error (a
 * missing payload field, a non-boolean result) is reported, never thrown: the orchestrator fails the step.
 */
export function evaluateCondition(expression: string, ctx: ConditionContext): ConditionResult {
  const result = run(expression, {
    trigger: {
      id: ctx.trigger.id,
      uses: ctx.trigger.uses,
      kind: ctx.trigger.kind,
      firedAt: timestampFromDate(ctx.trigger.firedAt),
      payload: celJson(ctx.trigger.payload) as never,
    },
    steps: Object.fromEntries(
      Object.entries(ctx.steps).map(([id, s]) => [id, { outcome: s.outcome, outputs: celJson(s.outputs) }]),
    ) as never,
  });
  if (isCelError(result)) return { ok: false, message: result.message };
  if (typeof result !== "boolean")
    return { ok: false, message: `the condition is not a boolean (${typeof result})` };
  return { ok: true, value: result };
}
