export { type Ajv, createAjv } from "./ajv.js";
export type {
  CapabilityCatalog,
  CapabilityDescriptor,
  CapabilityKind,
  JsonSchema,
  ReferenceResolver,
} from "./capability.js";
export { type ConditionContext, type ConditionResult, evaluateCondition } from "./cel-eval.js";
export { type CelT, STEP_RESULT_TYPE, TRIGGER_TYPE } from "./cel-types.js";
export { secretReferences } from "./check-references.js";
export { DiagnosticCode } from "./codes.js";
export type { Diagnostic, Position, Range, Severity, ValidationResult } from "./diagnostic.js";
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
export { parsePipeline } from "./parse-pipeline.js";
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
export { LABEL_PATTERN, PIPELINE_SCHEMA_ID, pipelineSchema } from "./schema.js";
export { schemaWithCapabilities } from "./schema-with-capabilities.js";
export { SECRET_NAME_FORMAT, SECRET_NAME_PATTERN } from "./secret-name.js";
export { toJson } from "./to-json.js";
export { formatUses, parseUses, USES_PATTERN, type UsesRef, type UsesResult } from "./uses.js";
export { type ValidateOptions, validatePipeline } from "./validate-pipeline.js";
