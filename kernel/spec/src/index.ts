// Everything a browser may load too (conditions, durations, uses, the schema, codes, types) …

// … and the rest, for Node: the full validator compiles JSON Schemas with Ajv (code generation).
export { type Ajv, createAjv } from "./ajv.js";
export * from "./browser.js";
export type { CapabilityCatalog, CapabilityDescriptor, ReferenceResolver } from "./capability.js";
export { type ConditionContext, type ConditionResult, evaluateCondition } from "./cel-eval.js";
export { type CelT, STEP_RESULT_TYPE, TRIGGER_TYPE } from "./cel-types.js";
export { secretReferences } from "./check-references.js";
export type { ValidationResult } from "./diagnostic.js";
export { parsePipeline } from "./parse-pipeline.js";
export { schemaWithCapabilities } from "./schema-with-capabilities.js";
export { SECRET_NAME_FORMAT, SECRET_NAME_PATTERN } from "./secret-name.js";
export { toJson } from "./to-json.js";
export { type ValidateOptions, validatePipeline } from "./validate-pipeline.js";
