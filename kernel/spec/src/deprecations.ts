// Deprecations, in one place: what the validator warns about (severity "warning", never blocking a save) with
// the replacement a quick fix writes. The only deprecation this codebase has is a capability major that a
// plugin stopped shipping but still serves through the newer major's `migrate` (the SDK's `migratesFrom`: e.g.
// `acme/sms@1` after `acme/sms@2` with `migratesFrom: [1]`); the catalog marks it with `replacedBy`. The
// built-in capabilities have one major each and the pipeline schema has had no renamed keys, so there is no
// static table of deprecated keys yet: one would go here, next to the catalog check.
import type { CapabilityCatalog } from "./capability.js";
import { DiagnosticCode } from "./codes.js";
import type { Diagnostic } from "./diagnostic.js";
import type { PipelineDocument } from "./pipeline-document.js";
import { makeDiagnostic, type SourceMap } from "./source-map.js";

/** One deprecated thing a document uses, and what replaces it. */
export interface Deprecation {
  /** JSON-Pointer-style path of the deprecated value (`["spec", "steps", 0, "uses"]`). */
  path: (string | number)[];
  /** What is written now (`acme/sms@1`). */
  deprecated: string;
  /** What to write instead (`acme/sms@2`): the quick fix's replacement. */
  replacement: string;
  /** Why, and what else may need changing, in one sentence. */
  reason: string;
}

/** Every deprecation the document uses, in document order (triggers, then steps). */
export function findDeprecations(pipeline: PipelineDocument, catalog: CapabilityCatalog): Deprecation[] {
  const out: Deprecation[] = [];
  const items = [
    ...pipeline.spec.triggers.map((item, i) => ({
      item,
      path: ["spec", "triggers", i] as (string | number)[],
    })),
    ...pipeline.spec.steps.map((item, i) => ({ item, path: ["spec", "steps", i] as (string | number)[] })),
  ];
  for (const { item, path } of items) {
    const cap = Object.hasOwn(catalog, item.uses) ? catalog[item.uses] : undefined;
    if (!cap?.replacedBy) continue;
    out.push({
      path: [...path, "uses"],
      deprecated: item.uses,
      replacement: cap.replacedBy,
      reason: `'${item.uses}' is deprecated: it runs through '${cap.replacedBy}', which converts its \`with:\` when the step runs; write it for '${cap.replacedBy}' (see its docs)`,
    });
  }
  return out;
}

/** The deprecations as warnings, each suggesting its replacement. */
export function checkDeprecations(
  src: SourceMap,
  pipeline: PipelineDocument,
  catalog: CapabilityCatalog,
): Diagnostic[] {
  return findDeprecations(pipeline, catalog).map((d) =>
    makeDiagnostic(src, DiagnosticCode.DeprecatedCapability, d.reason, d.path, {
      severity: "warning",
      suggestion: d.replacement,
    }),
  );
}
