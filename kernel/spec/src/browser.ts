// What a browser may load of the spec: everything here is plain code with no Node built-in and no code generation.
// The full validator (`validatePipeline`, `parsePipeline`) compiles JSON Schemas with Ajv, which builds functions
// with `new Function`: a Content-Security-Policy without 'unsafe-eval' (the admin app's) forbids that, so apps
// ask the server's `POST /api/v1/pipelines/validate` for the full result and check conditions and durations here.
export type { CapabilityKind, JsonSchema } from "./capability.js";
export {
  type ConditionContext as ConditionCheckContext,
  type ConditionIssue,
  checkCondition,
} from "./cel-check.js";
export { DiagnosticCode } from "./codes.js";
export type { Diagnostic, Position, Range, Severity } from "./diagnostic.js";
export { type DurationResult, formatDuration, parseDuration } from "./duration.js";
export {
  CAPABILITY_ID_PATTERN,
  CAPABILITY_NAME_MESSAGE,
  CAPABILITY_NAME_RULE,
  capabilityIdProblem,
  pluginNameProblem,
  usesPrefix,
  usesProblem,
} from "./naming.js";
export {
  type Backoff,
  type OnFailure,
  PIPELINE_API_VERSION,
  PIPELINE_KIND,
  type PipelineDocument,
  type PipelineMetadata,
  type PipelineSpec,
  type PipelineStep,
  type PipelineTrigger,
  type RetryPolicy,
} from "./pipeline-document.js";
export { REFERENCE_KEYWORD, type ReferenceKind, referenceKind } from "./references.js";
export { LABEL_PATTERN, PIPELINE_SCHEMA_ID, pipelineSchema } from "./schema.js";
export { formatUses, parseUses, USES_PATTERN, type UsesRef, type UsesResult } from "./uses.js";
