import {
  type CapabilityCatalog,
  DiagnosticCode,
  type ReferenceResolver,
  type Diagnostic as SpecDiagnostic,
  secretReferences,
  validatePipeline,
} from "@latchflow/spec";
import { type CodeAction, type Diagnostic, DiagnosticSeverity, DiagnosticTag, type Range } from "./types.js";

/** Code of the information diagnostic said once per document when references cannot be checked. */
export const REFERENCES_NOT_CHECKED = "references_not_checked";

/** Code of the information said once when a document names plugin secrets the connection cannot check. */
export const SECRETS_NOT_CHECKED = "secrets_not_checked";

/** Options of {@link diagnose}. */
export interface DiagnoseOptions {
  /** Capabilities: the connected server's, or the built-ins offline. */
  capabilities: CapabilityCatalog;
  /** The connected server's installed but disabled capabilities (`capability_disabled` instead of unknown). */
  disabled?: CapabilityCatalog;
  /** Checks bundles and recipients against a connected server; without it, one information diagnostic says so. */
  resolver?: ReferenceResolver;
  /** Why there is no resolver when a server is configured but could not be used (said in the information). */
  offlineReason?: string;
  /** With a resolver that cannot check plugin secrets: why (said once, when the document names secrets). */
  secretsUncheckedReason?: string;
}

/** The spec's 1-based, end-exclusive range as an LSP range (0-based; columns already count UTF-16 units). */
export function toLspRange(range: SpecDiagnostic["range"]): Range {
  return {
    start: { line: range.start.line - 1, character: range.start.column - 1 },
    end: { line: range.end.line - 1, character: range.end.column - 1 },
  };
}

/** One spec diagnostic as an LSP diagnostic. */
export function toLspDiagnostic(d: SpecDiagnostic): Diagnostic {
  return {
    range: toLspRange(d.range),
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: "latchflow",
    message: d.message,
    ...(d.code === DiagnosticCode.DeprecatedCapability ? { tags: [DiagnosticTag.Deprecated] } : {}),
    ...(d.suggestion === undefined ? {} : { data: { suggestion: d.suggestion } }),
  };
}

/**
 * Every diagnostic of a pipeline document, from @latchflow/spec's validator (the one the server and the CLI
 * run): YAML syntax, the pipeline schema, capabilities and their config schemas by major, durations, `if:`
 * conditions (ranges inside the expression), step-id references, duplicate ids, and bundles/recipients when a
 * resolver is given.
 */
export async function diagnose(text: string, options: DiagnoseOptions): Promise<Diagnostic[]> {
  const result = await validatePipeline(text, {
    capabilities: options.capabilities,
    ...(options.disabled ? { disabled: options.disabled } : {}),
    ...(options.resolver ? { resolver: options.resolver } : {}),
  });
  const out = result.diagnostics.map(toLspDiagnostic);
  const top: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  if (!options.resolver) {
    out.push({
      range: top,
      severity: DiagnosticSeverity.Information,
      code: REFERENCES_NOT_CHECKED,
      source: "latchflow",
      message: options.offlineReason
        ? `References (bundles, recipients, plugin secrets) are not checked: ${options.offlineReason}`
        : "References (bundles, recipients, plugin secrets) are not checked: no server connection. Run “Latchflow: Sign in” to check them.",
    });
  } else if (
    options.secretsUncheckedReason &&
    result.pipeline &&
    namesSecrets(result.pipeline, options.capabilities)
  ) {
    out.push({
      range: top,
      severity: DiagnosticSeverity.Information,
      code: SECRETS_NOT_CHECKED,
      source: "latchflow",
      message: `Plugin secrets are not checked: ${options.secretsUncheckedReason}`,
    });
  }
  return out;
}

/** Whether a trigger's or step's `with:` names a plugin secret. */
function namesSecrets(
  pipeline: NonNullable<Awaited<ReturnType<typeof validatePipeline>>["pipeline"]>,
  catalog: CapabilityCatalog,
): boolean {
  return [...pipeline.spec.triggers, ...pipeline.spec.steps].some(
    (item) =>
      Object.hasOwn(catalog, item.uses) &&
      secretReferences(item.with, catalog[item.uses]?.configSchema).length > 0,
  );
}

/**
 * Quick fixes: each diagnostic carrying a suggestion replaces its range with it: a "did you mean 'email@1'?",
 * or the major that replaces a deprecated one.
 */
export function codeActions(uri: string, diagnostics: readonly Diagnostic[]): CodeAction[] {
  return diagnostics.flatMap((d) =>
    d.data?.suggestion === undefined
      ? []
      : [
          {
            title:
              d.code === DiagnosticCode.DeprecatedCapability
                ? `Use '${d.data.suggestion}' (replaces the deprecated major)`
                : `Change to '${d.data.suggestion}'`,
            kind: "quickfix" as const,
            diagnostics: [d],
            isPreferred: true,
            edit: { changes: { [uri]: [{ range: d.range, newText: d.data.suggestion }] } },
          },
        ],
  );
}
