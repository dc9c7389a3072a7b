import type { JsonSchema } from "./capability.js";
import { PIPELINE_API_VERSION, PIPELINE_KIND } from "./pipeline-document.js";
import { USES_PATTERN } from "./uses.js";

/** `$id` of {@link pipelineSchema}; also where the server serves it (relative: `/api/v1/schemas/pipeline.json`). */
export const PIPELINE_SCHEMA_ID = "https://latchflow.dev/api/v1/schemas/pipeline.json";

/** Lowercase DNS label (RFC 1123), at most 63 characters. */
export const LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

const label = { type: "string", pattern: LABEL_PATTERN, maxLength: 63 };

/**
 * JSON Schema (draft 2020-12) of a pipeline document (ARCHITECTURE §3.4). Durations carry
 * `format: "duration"` in the Latchflow sense (see {@link parseDuration}), not only ISO 8601.
 * Capability configs (`with:`) are open objects here; see {@link schemaWithCapabilities}.
 */
export const pipelineSchema: JsonSchema = deepFreeze({
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: PIPELINE_SCHEMA_ID,
  title: "Latchflow pipeline",
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  additionalProperties: false,
  properties: {
    apiVersion: { const: PIPELINE_API_VERSION },
    kind: { const: PIPELINE_KIND },
    metadata: {
      type: "object",
      required: ["name"],
      additionalProperties: false,
      properties: {
        name: { ...label, description: "Lowercase DNS label, unique among pipelines." },
        description: { type: "string", maxLength: 2000 },
      },
    },
    spec: {
      type: "object",
      required: ["triggers", "steps"],
      additionalProperties: false,
      properties: {
        enabled: { type: "boolean", default: true },
        triggers: { type: "array", minItems: 1, items: { $ref: "#/$defs/trigger" } },
        steps: { type: "array", items: { $ref: "#/$defs/step" } },
      },
    },
  },
  $defs: {
    id: { ...label, description: "Unique among the pipeline's triggers and steps." },
    uses: {
      type: "string",
      pattern: USES_PATTERN,
      description: "<capability>@<major> for built-ins, <plugin>/<capability>@<major> for third-party.",
    },
    duration: {
      type: "string",
      format: "duration",
      description: "e.g. 30d, 1h30m, 90s, 500ms, or ISO 8601 such as P1DT2H.",
    },
    with: { type: "object", description: "Configuration of the capability, checked by its own schema." },
    trigger: {
      type: "object",
      required: ["id", "uses"],
      additionalProperties: false,
      properties: {
        id: { $ref: "#/$defs/id" },
        uses: { $ref: "#/$defs/uses" },
        with: { $ref: "#/$defs/with" },
      },
    },
    step: {
      type: "object",
      required: ["id", "uses"],
      additionalProperties: false,
      properties: {
        id: { $ref: "#/$defs/id" },
        uses: { $ref: "#/$defs/uses" },
        with: { $ref: "#/$defs/with" },
        if: { type: "string", minLength: 1, description: "CEL condition over trigger and steps." },
        retry: { $ref: "#/$defs/retry" },
        timeout: { $ref: "#/$defs/duration" },
        onFailure: { enum: ["stop", "continue"], default: "stop" },
      },
    },
    retry: {
      type: "object",
      required: ["maxAttempts", "backoff", "initialInterval", "maxInterval"],
      additionalProperties: false,
      properties: {
        maxAttempts: { type: "integer", minimum: 1, maximum: 100 },
        backoff: { enum: ["exponential", "fixed"] },
        initialInterval: { $ref: "#/$defs/duration" },
        maxInterval: { $ref: "#/$defs/duration" },
        nonRetryable: { type: "array", items: { type: "string", minLength: 1 }, uniqueItems: true },
      },
    },
  },
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
