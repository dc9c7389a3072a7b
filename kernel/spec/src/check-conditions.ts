import { checkCondition } from "./cel-check.js";
import type { Diagnostic } from "./diagnostic.js";
import type { PipelineDocument } from "./pipeline-document.js";
import { makeDiagnostic, offsetRange, pathRange, type SourceMap, scalarValueOffset } from "./source-map.js";

/** Compiles and type-checks every step's `if:`; ranges point inside the expression when possible. */
export function checkConditions(src: SourceMap, pipeline: PipelineDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const allSteps = new Set(pipeline.spec.steps.map((s) => s.id));
  const earlierSteps = new Set<string>();
  pipeline.spec.steps.forEach((step, i) => {
    if (step.if !== undefined) {
      const path = ["spec", "steps", i, "if"];
      for (const issue of checkCondition(step.if, { stepId: step.id, earlierSteps, allSteps })) {
        const start = scalarValueOffset(src, path, issue.start);
        const end = scalarValueOffset(src, path, issue.end);
        const range =
          start !== undefined && end !== undefined ? offsetRange(src, start, end) : pathRange(src, path);
        out.push(makeDiagnostic(src, issue.code, issue.message, path, { range }));
      }
    }
    earlierSteps.add(step.id);
  });
  return out;
}
