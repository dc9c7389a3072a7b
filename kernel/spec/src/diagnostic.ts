import type { DiagnosticCode } from "./codes.js";
import type { PipelineDocument } from "./pipeline-document.js";

/** A 1-based position in the source text. */
export interface Position {
  line: number;
  column: number;
}

/** A source range; `end` is exclusive (the position just after the last character). */
export interface Range {
  start: Position;
  end: Position;
}

/** Severity of a {@link Diagnostic}; only errors make a pipeline invalid. */
export type Severity = "error" | "warning";

/** One problem found in a pipeline document, always located in the source text. */
export interface Diagnostic {
  /** Stable machine-readable code, see {@link DiagnosticCode}. */
  code: DiagnosticCode;
  message: string;
  severity: Severity;
  range: Range;
  /** JSON Pointer of the offending value in the document (`""` for the whole document). */
  path: string;
  /** A replacement the user probably meant, e.g. `email@1`. */
  suggestion?: string;
}

/** Outcome of {@link validatePipeline} or {@link parsePipeline}. */
export interface ValidationResult {
  /** True when no diagnostic has severity `error`. */
  ok: boolean;
  diagnostics: Diagnostic[];
  /**
   * The parsed document; present whenever it passed YAML syntax and the structure of the pipeline JSON
   * Schema (it may still carry other errors, e.g. a bad duration or an unknown capability).
   */
  pipeline?: PipelineDocument;
}
