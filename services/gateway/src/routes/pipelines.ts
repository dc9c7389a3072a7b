import { operations, PIPELINE_SOURCE_TYPES, type schemas } from "@latchflow/api";
import type { pipelinesV1 } from "@latchflow/proto";
import { validationFailed } from "@latchflow/runtime";
import type { Context } from "koa";
import type { GatewayClients } from "../clients.js";
import { refuseNul } from "../input-limits.js";
import { implement } from "../route.js";

const MAX_SOURCE = 256 * 1024;
const TEXT_TYPES = PIPELINE_SOURCE_TYPES.filter((t) => t !== "application/json");
const iso = (d: Date | undefined) => (d ?? new Date(0)).toISOString();

/** The triggers of a stored (hence valid) document: `spec.triggers[]`'s id and uses. */
function triggersOf(parsedJson: string): schemas.Pipeline["triggers"] {
  const doc = JSON.parse(parsedJson || "{}") as { spec?: { triggers?: { id?: unknown; uses?: unknown }[] } };
  return (doc.spec?.triggers ?? []).map((t) => ({ id: String(t.id ?? ""), uses: String(t.uses ?? "") }));
}

const toRest = (p: pipelinesV1.Pipeline): schemas.Pipeline => ({
  name: p.name,
  description: p.description,
  enabled: p.enabled,
  version: p.version,
  triggers: triggersOf(p.parsedJson),
  createdAt: iso(p.createdAt),
  updatedAt: iso(p.updatedAt),
});

const diagnosticToRest = (d: pipelinesV1.Diagnostic): schemas.Diagnostic => ({
  code: d.code,
  message: d.message,
  // the spec's severities (error | warning) travel as strings
  severity: d.severity as schemas.Diagnostic["severity"],
  line: d.startLine,
  column: d.startColumn,
  range: {
    start: { line: d.startLine, column: d.startColumn },
    end: { line: d.endLine, column: d.endColumn },
  },
  path: d.path,
  ...(d.suggestion ? { suggestion: d.suggestion } : {}),
});

const versionToRest = (v: pipelinesV1.PipelineVersion): schemas.PipelineVersion => ({
  version: v.version,
  source: v.source,
  createdAt: iso(v.createdAt),
  createdBy: v.createdBy,
});

/** The document as sent: YAML text, or a JSON body (which is YAML too). */
async function sourceOf(koa: Context): Promise<string> {
  if (koa.is("application/json"))
    return JSON.stringify((koa.request as { body?: unknown }).body ?? null, null, 2);
  if (!koa.is(TEXT_TYPES)) {
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
  return [
    implement(operations.getPipelineSchema, async ({ ctx }) => ({
      status: 200,
      body: JSON.parse((await clients.pipelines.getPipelineSchema({}, ctx)).schemaJson) as Record<
        string,
        unknown
      >,
    })),
    implement(operations.validatePipeline, async ({ ctx, koa }) => {
      const res = await clients.pipelines.validatePipeline({ source: await sourceOf(koa) }, ctx);
      const body: schemas.PipelineValidation = {
        ok: res.ok,
        diagnostics: res.diagnostics.map(diagnosticToRest),
      };
      return { status: 200, body };
    }),
    implement(operations.putPipeline, async ({ params, ctx, koa }) => {
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
    }),
    implement(operations.listPipelines, async ({ ctx }) => ({
      status: 200,
      body: { items: (await clients.pipelines.listPipelines({}, ctx)).pipelines.map(toRest) },
    })),
    implement(operations.getPipeline, async ({ params, query, ctx, koa }) => {
      const p = await clients.pipelines.getPipeline({ name: params.name }, ctx);
      if (query.format === "json") {
        const body: schemas.PipelineWithDocument = { ...toRest(p), document: JSON.parse(p.parsedJson) };
        return { status: 200, body };
      }
      koa.set("ETag", `"v${p.version}"`);
      koa.type = "application/yaml; charset=utf-8";
      return { status: 200, body: p.source };
    }),
    implement(operations.listPipelineVersions, async ({ params, ctx }) => ({
      status: 200,
      body: {
        items: (await clients.pipelines.listPipelineVersions({ name: params.name }, ctx)).versions.map(
          versionToRest,
        ),
      },
    })),
    implement(operations.setPipelineEnabled, async ({ params, body, ctx }) => ({
      status: 200,
      body: toRest(
        await clients.pipelines.setPipelineEnabled({ name: params.name, enabled: body.enabled }, ctx),
      ),
    })),
    implement(operations.deletePipeline, async ({ params, ctx }) => ({
      status: 200,
      body: toRest(await clients.pipelines.deletePipeline({ name: params.name }, ctx)),
    })),
  ];
}
