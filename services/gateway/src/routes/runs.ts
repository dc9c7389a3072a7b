import type { pipelinesV1 } from "@latchflow/proto";
import { ErrorCode, LatchflowError, Scope } from "@latchflow/runtime";
import type { Context } from "koa";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses } from "../schemas.js";
import { checkInDonePage, checkInPage, invalidLinkPage } from "./checkin-page.js";

const PipelineName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lowercase DNS label");
const Id = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lowercase label");
const NameParams = z.strictObject({ name: PipelineName });
const RunParams = z.strictObject({
  name: PipelineName,
  runId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, "must be a run id"),
});
const TriggerParams = z.strictObject({
  name: PipelineName,
  trigger: Id,
  action: z.enum(["check-in", "pause", "resume", "rotate-links"]),
});
const HookParams = z.strictObject({ pipeline: PipelineName, trigger: Id });
const TokenParams = z.strictObject({ token: z.string().min(10).max(3000) });

/** Webhook bodies are read raw (the signature covers the exact bytes), up to the largest a trigger may accept. */
const MAX_HOOK_BODY = 1024 * 1024;

const json = (text: string): unknown => (text ? JSON.parse(text) : null);
const iso = (d: Date | undefined) => d?.toISOString() ?? null;

const Attempt = z.object({
  number: z.number(),
  status: z.string(),
  errorCode: z.string(),
  errorMessage: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  nextRetryAt: z.string().nullable(),
});
const StepRun = z
  .object({
    stepId: z.string(),
    uses: z.string(),
    status: z.enum(["pending", "running", "waiting", "succeeded", "failed", "skipped"]),
    outputs: z.unknown(),
    errorCode: z.string(),
    errorMessage: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    attempts: z.array(Attempt),
  })
  .meta({ id: "StepRun" });
const Run = z
  .object({
    id: z.string(),
    pipeline: z.string(),
    pipelineVersion: z.number(),
    trigger: z.object({ id: z.string(), uses: z.string(), kind: z.string(), payload: z.unknown() }),
    status: z.enum(["queued", "running", "waiting", "succeeded", "failed"]),
    errorCode: z.string(),
    errorMessage: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    wakeAt: z.string().nullable(),
    steps: z.array(StepRun).optional(),
  })
  .meta({ id: "PipelineRun" });

function runToRest(r: pipelinesV1.PipelineRun, withSteps: boolean) {
  return {
    id: r.id,
    pipeline: r.pipeline,
    pipelineVersion: r.pipelineVersion,
    trigger: {
      id: r.triggerId,
      uses: r.triggerUses,
      kind: r.triggerKind,
      payload: json(r.triggerPayloadJson),
    },
    status: r.status,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    createdAt: r.createdAt?.toISOString() ?? "",
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    wakeAt: iso(r.wakeAt),
    ...(withSteps
      ? {
          steps: r.steps.map((s) => ({
            stepId: s.stepId,
            uses: s.uses,
            status: s.status,
            outputs: json(s.outputsJson),
            errorCode: s.errorCode,
            errorMessage: s.errorMessage,
            startedAt: iso(s.startedAt),
            finishedAt: iso(s.finishedAt),
            attempts: s.attempts.map((a) => ({
              number: a.number,
              status: a.status,
              errorCode: a.errorCode,
              errorMessage: a.errorMessage,
              startedAt: a.startedAt?.toISOString() ?? "",
              finishedAt: iso(a.finishedAt),
              nextRetryAt: iso(a.nextRetryAt),
            })),
          })),
        }
      : {}),
  };
}

async function rawBody(koa: Context, limit: number): Promise<Buffer> {
  const declared = Number(koa.get("content-length") || 0);
  if (declared > limit)
    throw new LatchflowError(ErrorCode.PayloadTooLarge, `The body is at most ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of koa.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new LatchflowError(ErrorCode.PayloadTooLarge, `The body is at most ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * What the trigger plugin answered. Its errors take the one documented shape: `{ error: { code, message,
 * requestId } }` (a plugin cannot know the request id; anything else it sent is kept as `details`).
 */
function triggerAnswer(res: pipelinesV1.TriggerResponse, requestId: string) {
  const body: unknown = res.bodyJson ? JSON.parse(res.bodyJson) : undefined;
  if (res.status < 400) return { status: res.status, body };
  const e = ((body as { error?: unknown } | undefined)?.error ?? {}) as Record<string, unknown>;
  const code =
    typeof e.code === "string" && /^[a-z][a-z0-9_]{0,62}$/.test(e.code) ? e.code : "trigger_refused";
  const message = typeof e.message === "string" ? e.message.slice(0, 500) : "The trigger refused the request";
  return { status: res.status, body: { error: { code, message, requestId } } };
}

export function runRoutes(clients: GatewayClients) {
  const tag = "runs";
  const run = {
    kind: "user",
    scope: Scope.PipelinesRun,
    resource: { type: "pipeline", param: "name" },
  } as const;
  const read = {
    kind: "user",
    scope: Scope.PipelinesWrite,
    resource: { type: "pipeline", param: "name" },
  } as const;
  const notFound = { 404: { description: "No such pipeline or run", schema: ErrorResponse } };
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/pipelines/:name/runs",
      operationId: "startPipelineRun",
      summary:
        "Run a pipeline now (it needs a manual@1 trigger); the payload becomes trigger.payload.payload",
      tag,
      access: run,
      params: NameParams,
      body: z.strictObject({ payload: z.unknown().optional() }).meta({ id: "StartPipelineRun" }),
      responses: {
        202: { description: "Queued; poll the run for its progress", schema: Run },
        409: { description: "Disabled, or no manual@1 trigger", schema: ErrorResponse },
        ...notFound,
        ...errorResponses,
      },
      handler: async ({ params, body, ctx }) => {
        const payloadJson = body?.payload === undefined ? "" : JSON.stringify(body.payload);
        const r = await clients.pipelines.startPipelineRun({ name: params.name, payloadJson }, ctx);
        return { status: 202, body: runToRest(r, false) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/pipelines/:name/runs",
      operationId: "listPipelineRuns",
      summary: "Runs of a pipeline, newest first (trigger payloads only come with one run)",
      tag,
      access: read,
      params: NameParams,
      query: z.strictObject({
        cursor: z.string().max(40).optional(),
        limit: z.coerce.number().int().min(1).max(200).optional(),
      }),
      responses: {
        200: {
          description: "A page of runs",
          schema: z.object({ items: z.array(Run), nextCursor: z.string().nullable() }),
        },
        ...notFound,
        ...errorResponses,
      },
      handler: async ({ params, query, ctx }) => {
        const res = await clients.pipelines.listPipelineRuns(
          { name: params.name, cursor: query.cursor ?? "", limit: query.limit ?? 50 },
          ctx,
        );
        return {
          status: 200,
          body: { items: res.runs.map((r) => runToRest(r, false)), nextCursor: res.nextCursor || null },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/pipelines/:name/runs/:runId",
      operationId: "getPipelineRun",
      summary: "One run with its steps, attempts, outputs and errors",
      tag,
      access: read,
      params: RunParams,
      responses: { 200: { description: "The run", schema: Run }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: runToRest(
          await clients.pipelines.getPipelineRun({ name: params.name, runId: params.runId }, ctx),
          true,
        ),
      }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/pipelines/:name/triggers/:trigger/:action",
      operationId: "controlTrigger",
      summary:
        "Act on a trigger (needs pipelines:write, like editing it): check-in (dead-man), pause (until a date), resume, rotate-links (revokes every check-in link handed out so far)",
      tag,
      access: { kind: "user", scope: Scope.PipelinesWrite, resource: { type: "pipeline", param: "name" } },
      params: TriggerParams,
      body: z
        .strictObject({ until: z.iso.datetime({ offset: true }).optional() })
        .meta({ id: "ControlTrigger" }),
      responses: {
        200: { description: "What the trigger answered (e.g. the new deadline)" },
        ...notFound,
        ...errorResponses,
      },
      handler: async ({ params, body, ctx }) =>
        triggerAnswer(
          await clients.pipelines.controlTrigger(
            {
              pipeline: params.name,
              triggerId: params.trigger,
              action: params.action,
              ...(body?.until ? { until: new Date(body.until) } : {}),
            },
            ctx,
          ),
          ctx.requestId,
        ),
    }),
    defineRoute({
      method: "post",
      path: "/hooks/:pipeline/:trigger",
      operationId: "deliverWebhook",
      summary:
        "Webhook ingress: the trigger checks the signature (X-Latchflow-Timestamp, X-Latchflow-Signature)",
      tag,
      access: { kind: "public" },
      params: HookParams,
      responses: {
        202: { description: "Accepted: the pipeline fires" },
        401: {
          description:
            "Missing, wrong, expired or replayed signature; also the answer (invalid_signature) for a pipeline or trigger that does not exist or takes no webhooks, so names cannot be probed",
          schema: ErrorResponse,
        },
        413: { description: "Body too large", schema: ErrorResponse },
      },
      handler: async ({ params, ctx, koa }) => {
        const body = await rawBody(koa, MAX_HOOK_BODY);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(koa.headers)) if (typeof v === "string") headers[k] = v;
        return triggerAnswer(
          await clients.pipelines.deliverWebhook(
            { pipeline: params.pipeline, triggerId: params.trigger, headers, body },
            ctx,
          ),
          ctx.requestId,
        );
      },
    }),
    defineRoute({
      method: "get",
      path: "/checkin/:token",
      operationId: "checkInPage",
      summary: "The page a dead-man reminder links to: a button that checks in (GET alone changes nothing)",
      tag,
      access: { kind: "public" },
      params: TokenParams,
      responses: { 200: { description: "HTML page" }, 404: { description: "Invalid or expired link" } },
      handler: async ({ params, ctx }) => {
        try {
          const link = await clients.pipelines.resolveTriggerLink({ token: params.token }, ctx);
          return { status: 200, html: checkInPage(link.pipeline, params.token) };
        } catch {
          return { status: 404, html: invalidLinkPage() };
        }
      },
    }),
    defineRoute({
      method: "post",
      path: "/checkin/:token",
      operationId: "checkInByLink",
      summary: "Check in through a signed reminder link",
      tag,
      access: { kind: "public" },
      params: TokenParams,
      bodyTypes: ["form", "json"],
      responses: { 200: { description: "HTML page" }, 404: { description: "Invalid or expired link" } },
      handler: async ({ params, ctx }) => {
        let res: pipelinesV1.TriggerResponse;
        try {
          res = await clients.pipelines.controlTriggerByLink({ token: params.token }, ctx);
        } catch (err) {
          if (err instanceof LatchflowError && err.code === ErrorCode.NotFound)
            return { status: 404, html: invalidLinkPage() };
          throw err;
        }
        const body = res.bodyJson ? (JSON.parse(res.bodyJson) as { deadline?: string }) : {};
        return { status: 200, html: checkInDonePage(body.deadline ?? "") };
      },
    }),
  ];
}
