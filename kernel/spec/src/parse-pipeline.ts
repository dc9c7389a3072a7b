import type { ValidateFunction } from "ajv";
import { LineCounter, parseDocument } from "yaml";
import { createAjv } from "./ajv.js";
import { ajvDiagnostics } from "./ajv-diagnostics.js";
import { DiagnosticCode } from "./codes.js";
import type { Diagnostic, ValidationResult } from "./diagnostic.js";
import type { PipelineDocument } from "./pipeline-document.js";
import { pipelineSchema } from "./schema.js";
import { offsetRange, type SourceMap } from "./source-map.js";

/** Source map, parsed value and the diagnostics of the syntax and document-schema stages. */
export interface ParsedSource {
  src: SourceMap;
  diagnostics: Diagnostic[];
  pipeline?: PipelineDocument;
}

let documentValidator: ValidateFunction | undefined;

/** Compiled once, on first use. */
function validateDocument(value: unknown): ValidateFunction {
  documentValidator ??= createAjv().compile(pipelineSchema);
  documentValidator(value);
  return documentValidator;
}

/** YAML syntax, then the pipeline JSON Schema. Internal building block of both public entry points. */
export function parseSource(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  let doc: SourceMap["doc"];
  try {
    doc = parseDocument(text, { lineCounter, keepSourceTokens: true });
  } catch (err) {
    // a nesting too deep for the parser's recursion: a diagnostic, never a crash
    if (!(err instanceof RangeError)) throw err;
    const empty = new LineCounter();
    doc = parseDocument("", { lineCounter: empty, keepSourceTokens: true });
    const src: SourceMap = { text: "", doc, lineCounter: empty };
    return { src, diagnostics: [tooComplex(src, "the document nests too deeply")] };
  }
  const src: SourceMap = { text, doc, lineCounter };
  const yamlIssues = [
    ...doc.errors.map((e) => ({ e, severity: "error" as const })),
    ...doc.warnings.map((e) => ({ e, severity: "warning" as const })),
  ];
  const diagnostics: Diagnostic[] = yamlIssues.map(({ e, severity }) => ({
    code: DiagnosticCode.YamlSyntax,
    message: `${firstLine(e.message)} (${e.code})`,
    severity,
    range: offsetRange(src, e.pos[0], e.pos[1]),
    path: "",
  }));
  if (doc.errors.length) return { src, diagnostics };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml throws a ReferenceError past maxAliasCount ("billion laughs"); a RangeError when nesting is too deep
    if (!(err instanceof ReferenceError || err instanceof RangeError)) throw err;
    const why =
      err instanceof ReferenceError
        ? `aliases expand past ${MAX_ALIAS_COUNT} nodes (an alias bomb?)`
        : "the document nests too deeply";
    diagnostics.push(tooComplex(src, why));
    return { src, diagnostics };
  }
  const validate = validateDocument(value);
  const schemaDiagnostics = ajvDiagnostics(src, validate.errors, [], DiagnosticCode.Schema);
  diagnostics.push(...schemaDiagnostics);
  // A bad duration leaves the document's shape intact: later stages can still run.
  if (schemaDiagnostics.some((d) => d.code === DiagnosticCode.Schema)) return { src, diagnostics };
  return { src, diagnostics, pipeline: value as PipelineDocument };
}

/** Aliases may expand to at most this many nodes each (yaml's resource-exhaustion guard). */
const MAX_ALIAS_COUNT = 100;

function tooComplex(src: SourceMap, why: string): Diagnostic {
  return {
    code: DiagnosticCode.YamlSyntax,
    message: `The document is too complex: ${why}`,
    severity: "error",
    range: offsetRange(src, 0, 0),
    path: "",
  };
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
}

/**
 * Parses a pipeline document (YAML, or JSON since JSON is YAML) and checks it against
 * {@link pipelineSchema} only: no capability catalog, no conditions, no references. Pure and synchronous.
 */
export function parsePipeline(text: string): ValidationResult {
  const { diagnostics, pipeline } = parseSource(text);
  return {
    ok: !diagnostics.some((d) => d.severity === "error"),
    diagnostics,
    ...(pipeline ? { pipeline } : {}),
  };
}
