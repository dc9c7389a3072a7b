import type { pipelinesV1 } from "@latchflow/proto";
import { Scope, validationFailed } from "@latchflow/runtime";
import type { Context } from "koa";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { refuseNul } from "../input-limits.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses } from "../schemas.js";

const Name = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lowercase DNS label"),
});
const MAX_SOURCE = 256 * 1024;

const Pipeline = z
  .object({
    name: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    version: z.number(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Pipeline" });

const toRest = (p: pipelinesV1.Pipeline) => ({
  name: p.name,
  description: p.description,
  enabled: p.enabled,
  version: p.version,
  createdAt: p.createdAt?.toISOString(),
  updatedAt: p.updatedAt?.toISOString(),
});

const diagnosticToRest = (d: pipelinesV1.Diagnostic) => ({
  code: d.code,
  message: d.message,
  severity: d.severity,
  line: d.startLine,
  column: d.startColumn,
  range: {
    start: { line: d.startLine, column: d.startColumn },
    end: { line: d.endLine, column: d.endColumn },
  },
  path: d.path,
  ...(d.suggestion ? { suggestion: d.suggestion } : {}),
});

/** The document as sent: YAML text, or a JSON body (which is YAML too). */
async function sourceOf(koa: Context): Promise<string> {
  if (koa.is("application/json"))
    return JSON.stringify((koa.request as { body?: unknown }).body ?? null, null, 2);
  if (!koa.is(["application/yaml", "application/x-yaml", "text/yaml", "text/plain"])) {
    throw validationFailed("Send the pipeline as application/yaml (or JSON)");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of koa.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_SOURCE) throw validationFailed(`A pipeline is at most ${MAX_SOURCE} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  refuseNul(text, "body", "");
  return text;
}

export function pipelineRoutes(clients: GatewayClients) {
  const tag = "pipelines";
  const write = { kind: "user", scope: Scope.PipelinesWrite } as const;
  const notFound = { 404: { description: "No such pipeline", schema: ErrorResponse } };
  const invalid = {
    422: {
      description: "Invalid: error.details.diagnostics lists each problem with line and column",
      schema: ErrorResponse,
    },
  };
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/schemas/pipeline.json",
      operationId: "pipelineSchema",
      summary: "JSON Schema of pipeline documents, with every capability's config schema merged in",
      tag,
      access: { kind: "public" },
      responses: { 200: { description: "JSON Schema (draft 2020-12)" } },
      handler: async ({ ctx }) => ({
        status: 200,
        body: JSON.parse((await clients.pipelines.getPipelineSchema({}, ctx)).schemaJson),
      }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/pipelines/validate",
      operationId: "validatePipeline",
      summary: "Validate a pipeline document without storing it",
      tag,
      access: write,
      responses: { 200: { description: "ok + diagnostics with ranges" }, ...errorResponses },
      handler: async ({ ctx, koa }) => {
        const res = await clients.pipelines.validatePipeline({ source: await sourceOf(koa) }, ctx);
        return { status: 200, body: { ok: res.ok, diagnostics: res.diagnostics.map(diagnosticToRest) } };
      },
    }),
    defineRoute({
      method: "put",
      path: "/api/v1/pipelines/:name",
      operationId: "putPipeline",
      summary: "Create or update a pipeline from YAML (or JSON); the source is stored as written",
      tag,
      access: { ...write, resource: { type: "pipeline", param: "name" } },
      params: Name,
      responses: {
        200: {
          description: "Stored as a new version; the same source text as the current version changes nothing",
          schema: Pipeline,
        },
        ...invalid,
        ...errorResponses,
      },
      handler: async ({ params, ctx, koa }) => {
        try {
          return {
            status: 200,
            body: toRest(
              await clients.pipelines.putPipeline({ name: params.name, source: await sourceOf(koa) }, ctx),
            ),
          };
        } catch (err) {
          const e = err as { details?: { diagnostics?: pipelinesV1.Diagnostic[] } };
          if (e.details?.diagnostics)
            e.details.diagnostics = e.details.diagnostics.map(diagnosticToRest) as never;
          throw err;
        }
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/pipelines",
      operationId: "listPipelines",
      summary: "List pipelines",
      tag,
      access: { kind: "user", scope: Scope.PipelinesWrite },
      responses: {
        200: { description: "Pipelines", schema: z.object({ items: z.array(Pipeline) }) },
        ...errorResponses,
      },
      handler: async ({ ctx }) => ({
        status: 200,
        body: { items: (await clients.pipelines.listPipelines({}, ctx)).pipelines.map(toRest) },
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/pipelines/:name",
      operationId: "getPipeline",
      summary: "A pipeline's source exactly as written (YAML; ?format=json for the parsed form)",
      tag,
      access: { kind: "user", scope: Scope.PipelinesWrite, resource: { type: "pipeline", param: "name" } },
      params: Name,
      query: z.strictObject({ format: z.enum(["yaml", "json"]).optional() }),
      responses: { 200: { description: "application/yaml or JSON" }, ...notFound, ...errorResponses },
      handler: async ({ params, query, ctx, koa }) => {
        const p = await clients.pipelines.getPipeline({ name: params.name }, ctx);
        if (query.format === "json")
          return { status: 200, body: { ...toRest(p), document: JSON.parse(p.parsedJson) } };
        koa.set("ETag", `"v${p.version}"`);
        koa.type = "application/yaml; charset=utf-8";
        return { status: 200, body: p.source };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/pipelines/:name/versions",
      operationId: "listPipelineVersions",
      summary: "Every stored version of a pipeline, newest first",
      tag,
      access: { kind: "user", scope: Scope.PipelinesWrite, resource: { type: "pipeline", param: "name" } },
      params: Name,
      responses: { 200: { description: "Versions" }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: {
          items: (await clients.pipelines.listPipelineVersions({ name: params.name }, ctx)).versions.map(
            (v) => ({
              version: v.version,
              source: v.source,
              createdAt: v.createdAt?.toISOString(),
              createdBy: v.createdBy,
            }),
          ),
        },
      }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/pipelines/:name",
      operationId: "setPipelineEnabled",
      summary: "Enable or disable a pipeline",
      tag,
      access: { ...write, resource: { type: "pipeline", param: "name" } },
      params: Name,
      body: z.strictObject({ enabled: z.boolean() }).meta({ id: "SetPipelineEnabled" }),
      responses: { 200: { description: "Updated", schema: Pipeline }, ...notFound, ...errorResponses },
      handler: async ({ params, body, ctx }) => ({
        status: 200,
        body: toRest(
          await clients.pipelines.setPipelineEnabled({ name: params.name, enabled: body.enabled }, ctx),
        ),
      }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/pipelines/:name",
      operationId: "deletePipeline",
      summary: "Delete a pipeline and its history",
      tag,
      access: { ...write, resource: { type: "pipeline", param: "name" } },
      params: Name,
      responses: { 200: { description: "Deleted", schema: Pipeline }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: toRest(await clients.pipelines.deletePipeline({ name: params.name }, ctx)),
      }),
    }),
  ];
}
