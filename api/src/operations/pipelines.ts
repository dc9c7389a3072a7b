import { z } from "zod";
import {
  bodyErrorResponses,
  ErrorBody,
  errorResponses,
  JsonSchemaDocument,
  queryRefusedResponse,
} from "../common.js";
import { defineOperation } from "../operation.js";
import { Scope } from "../scopes.js";

// Pipelines as code: the stored YAML source of each pipeline, its versions, and validation with source ranges.

const tag = "pipelines";

export const PipelineName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lowercase DNS label");
const NameParams = z.strictObject({ name: PipelineName });
const pipelineResource = { type: "pipeline", param: "name" } as const;
const write = { kind: "user", scope: Scope.PipelinesWrite } as const;
const writeOne = { ...write, resource: pipelineResource } as const;

/** The media types a pipeline document may be sent as (JSON is YAML too). */
export const PIPELINE_SOURCE_TYPES = [
  "application/yaml",
  "application/x-yaml",
  "text/yaml",
  "text/plain",
  "application/json",
] as const;
const sourceBody = `The pipeline document as the body: ${PIPELINE_SOURCE_TYPES.join(", ")} (at most 256 KiB)`;

export const Pipeline = z
  .object({
    name: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    version: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Pipeline" });
export type Pipeline = z.output<typeof Pipeline>;

export const PipelineWithDocument = Pipeline.extend({
  document: z.unknown().meta({ description: "The parsed pipeline document" }),
}).meta({ id: "PipelineWithDocument" });
export type PipelineWithDocument = z.output<typeof PipelineWithDocument>;

export const PipelineVersion = z
  .object({
    version: z.number().int(),
    source: z.string().meta({ description: "The source text exactly as stored" }),
    createdAt: z.iso.datetime(),
    createdBy: z.string().meta({ description: "The user (or token) that stored it" }),
  })
  .meta({ id: "PipelineVersion" });
export type PipelineVersion = z.output<typeof PipelineVersion>;

const Position = z.object({ line: z.number().int(), column: z.number().int() });

export const Diagnostic = z
  .object({
    code: z.string(),
    message: z.string(),
    severity: z.enum(["error", "warning"]),
    line: z.number().int().meta({ description: "1-based line where the problem starts" }),
    column: z.number().int(),
    range: z.object({ start: Position, end: Position }).meta({ description: "`end` is exclusive" }),
    path: z.string().meta({ description: "JSON Pointer of the offending value" }),
    suggestion: z.string().optional().meta({ description: "What was probably meant, e.g. `email@1`" }),
  })
  .meta({ id: "Diagnostic" });
export type Diagnostic = z.output<typeof Diagnostic>;

export const PipelineValidation = z
  .object({ ok: z.boolean(), diagnostics: z.array(Diagnostic) })
  .meta({ id: "PipelineValidation" });
export type PipelineValidation = z.output<typeof PipelineValidation>;

const notFound = { 404: { description: "No such pipeline", schema: ErrorBody } } as const;

const capabilityUnavailable = {
  description:
    "capability_unavailable: the pipeline is otherwise valid but uses capabilities that are not installed or are disabled; error.details.capabilities lists each (`uses`, `state`: not_installed | disabled), error.details.diagnostics locates them",
  schema: ErrorBody,
} as const;

export const getPipelineSchema = defineOperation({
  method: "get",
  path: "/api/v1/schemas/pipeline.json",
  operationId: "getPipelineSchema",
  summary: "JSON Schema of pipeline documents, with every capability's config schema merged in",
  tag,
  access: { kind: "public" },
  responses: {
    200: { description: "JSON Schema (draft 2020-12)", schema: JsonSchemaDocument },
    422: queryRefusedResponse,
  },
});

export const validatePipeline = defineOperation({
  method: "post",
  path: "/api/v1/pipelines/validate",
  operationId: "validatePipeline",
  summary: "Validate a pipeline document without storing it",
  description: sourceBody,
  tag,
  access: write,
  bodyTypes: ["binary"],
  responses: {
    200: { description: "ok, and every diagnostic with its source range", schema: PipelineValidation },
    ...errorResponses,
    422: { description: "Not a pipeline media type, too large, or holding NUL", schema: ErrorBody },
    ...bodyErrorResponses,
  },
});

export const putPipeline = defineOperation({
  method: "put",
  path: "/api/v1/pipelines/:name",
  operationId: "putPipeline",
  summary: "Create or update a pipeline from YAML (or JSON); the source is stored as written",
  description: sourceBody,
  tag,
  access: writeOne,
  params: NameParams,
  bodyTypes: ["binary"],
  responses: {
    200: {
      description: "Stored as a new version; the same source text as the current version changes nothing",
      schema: Pipeline,
    },
    ...errorResponses,
    409: capabilityUnavailable,
    422: {
      description:
        "Invalid: error.details.diagnostics lists each problem with line and column (each a Diagnostic)",
      schema: ErrorBody,
    },
    ...bodyErrorResponses,
  },
});

export const listPipelines = defineOperation({
  method: "get",
  path: "/api/v1/pipelines",
  operationId: "listPipelines",
  summary: "List pipelines",
  tag,
  access: write,
  responses: {
    200: { description: "Pipelines", schema: z.object({ items: z.array(Pipeline) }) },
    ...errorResponses,
  },
});

export const getPipeline = defineOperation({
  method: "get",
  path: "/api/v1/pipelines/:name",
  operationId: "getPipeline",
  summary: "A pipeline's source exactly as written (YAML, with an ETag; ?format=json for the parsed form)",
  tag,
  access: writeOne,
  params: NameParams,
  query: z.strictObject({ format: z.enum(["yaml", "json"]).optional() }),
  responses: {
    200: {
      description:
        "The source as application/yaml, or with ?format=json the pipeline and its parsed document",
      media: "application/yaml",
      schema: PipelineWithDocument,
    },
    ...notFound,
    ...errorResponses,
  },
});

export const listPipelineVersions = defineOperation({
  method: "get",
  path: "/api/v1/pipelines/:name/versions",
  operationId: "listPipelineVersions",
  summary: "Every stored version of a pipeline, newest first",
  tag,
  access: writeOne,
  params: NameParams,
  responses: {
    200: { description: "Versions", schema: z.object({ items: z.array(PipelineVersion) }) },
    ...notFound,
    ...errorResponses,
  },
});

export const setPipelineEnabled = defineOperation({
  method: "patch",
  path: "/api/v1/pipelines/:name",
  operationId: "setPipelineEnabled",
  summary: "Enable or disable a pipeline",
  tag,
  access: writeOne,
  params: NameParams,
  body: z.strictObject({ enabled: z.boolean() }).meta({ id: "SetPipelineEnabled" }),
  responses: {
    200: { description: "Updated", schema: Pipeline },
    409: {
      ...capabilityUnavailable,
      description:
        "capability_unavailable: enabling a pipeline that uses capabilities that are not installed or are disabled (error.details.capabilities)",
    },
    ...notFound,
    ...errorResponses,
    ...bodyErrorResponses,
  },
});

export const deletePipeline = defineOperation({
  method: "delete",
  path: "/api/v1/pipelines/:name",
  operationId: "deletePipeline",
  summary: "Delete a pipeline and its history",
  tag,
  access: writeOne,
  params: NameParams,
  responses: { 200: { description: "Deleted", schema: Pipeline }, ...notFound, ...errorResponses },
});
