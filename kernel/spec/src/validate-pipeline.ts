import type { CapabilityCatalog, ReferenceResolver } from "./capability.js";
import { checkCapabilities } from "./check-capabilities.js";
import { checkConditions } from "./check-conditions.js";
import { checkIds } from "./check-ids.js";
import { checkReferences } from "./check-references.js";
import { checkDeprecations } from "./deprecations.js";
import type { Diagnostic, ValidationResult } from "./diagnostic.js";
import { parseSource } from "./parse-pipeline.js";

/** Options of {@link validatePipeline}. */
export interface ValidateOptions {
  /** Installed capabilities (`GET /api/v1/capabilities`). */
  capabilities: CapabilityCatalog;
  /**
   * Installed but disabled capabilities: a `uses` naming one gets `capability_disabled` instead of
   * `unknown_capability`, and its `with:` is checked against its schema all the same.
   */
  disabled?: CapabilityCatalog;
  /** Checks bundles, recipients (and plugin secrets) exist; reference checks are skipped without it. */
  resolver?: ReferenceResolver;
}

/**
 * Fully validates a pipeline document: YAML syntax, the pipeline JSON Schema, capabilities (`uses` and
 * `with:`), durations, `if:` conditions (CEL, type-checked), deprecations (warnings), references through the
 * resolver, and unique ids. Syntax or schema errors stop before the later stages. Diagnostics are sorted by position. The
 * only asynchronous part is the resolver; nothing else does I/O.
 */
export async function validatePipeline(text: string, options: ValidateOptions): Promise<ValidationResult> {
  const { src, diagnostics, pipeline } = parseSource(text);
  if (!pipeline) return { ok: false, diagnostics };
  diagnostics.push(
    ...checkIds(src, pipeline),
    ...checkCapabilities(src, pipeline, options.capabilities, options.disabled),
    ...checkConditions(src, pipeline),
    ...checkDeprecations(src, pipeline, options.capabilities),
  );
  if (options.resolver)
    diagnostics.push(...(await checkReferences(src, pipeline, options.resolver, options.capabilities)));
  sortByPosition(diagnostics);
  return { ok: !diagnostics.some((d) => d.severity === "error"), diagnostics, pipeline };
}

function sortByPosition(diagnostics: Diagnostic[]): void {
  diagnostics.sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column,
  );
}
