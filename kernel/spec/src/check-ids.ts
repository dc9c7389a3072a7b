import { DiagnosticCode } from "./codes.js";
import type { Diagnostic } from "./diagnostic.js";
import type { PipelineDocument } from "./pipeline-document.js";
import { makeDiagnostic, pathRange, type SourceMap } from "./source-map.js";

/** Ids are unique across triggers and steps; every repeat is reported, pointing back at the first. */
export function checkIds(src: SourceMap, pipeline: PipelineDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  const first = new Map<string, (string | number)[]>();
  const items = [
    ...pipeline.spec.triggers.map((t, i) => ({ id: t.id, path: ["spec", "triggers", i, "id"] })),
    ...pipeline.spec.steps.map((s, i) => ({ id: s.id, path: ["spec", "steps", i, "id"] })),
  ];
  for (const { id, path } of items) {
    const earlier = first.get(id);
    if (earlier) {
      const line = pathRange(src, earlier).start.line;
      const message = `id '${id}' is already used on line ${line}; ids must be unique across triggers and steps`;
      out.push(makeDiagnostic(src, DiagnosticCode.DuplicateId, message, path));
    } else {
      first.set(id, path);
    }
  }
  return out;
}
