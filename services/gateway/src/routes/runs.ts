import { operations, type schemas } from "@latchflow/api";
import type { pipelinesV1 } from "@latchflow/proto";
import { decide, ErrorCode, LatchflowError, Scope, subjectOf } from "@latchflow/runtime";
import type { Context } from "koa";
import type { GatewayClients } from "../clients.js";
import { implement } from "../route.js";
import { checkInDonePage, checkInPage, invalidLinkPage } from "./checkin-page.js";

/** Webhook bodies are read raw (the signature covers the exact bytes), up to the largest a trigger may accept. */
const MAX_HOOK_BODY = 1024 * 1024;

const json = (text: string): unknown => (text ? JSON.parse(text) : null);
const iso = (d: Date | undefined) => d?.toISOString() ?? null;

function stepToRest(s: pipelinesV1.StepRun): schemas.RunStep {
  return {
    stepId: s.stepId,
    uses: s.uses,
    // the kernel's step states are the contract's
    status: s.status as schemas.RunStep["status"],
    outputs: json(s.outputsJson),
    errorCode: s.errorCode,
    errorMessage: s.errorMessage,
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
    condition: s.condition,
    attempts: s.attempts.map((a) => ({
      number: a.number,
      status: a.status,
      errorCode: a.errorCode,
      errorMessage: a.errorMessage,
      startedAt: a.startedAt?.toISOString() ?? "",
      finishedAt: iso(a.finishedAt),
      nextRetryAt: iso(a.nextRetryAt),
    })),
  };
}

function runToRest(r: pipelinesV1.PipelineRun, withSteps: boolean): schemas.Run {
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
    // the kernel's run states are the contract's
    status: r.status as schemas.Run["status"],
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    createdAt: r.createdAt?.toISOString() ?? "",
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    wakeAt: iso(r.wakeAt),
    ...(withSteps ? { steps: r.steps.map(stepToRest) } : {}),
  };
}

const pageOf = (q: { cursor?: string; limit?: number; status?: string }) => ({
  cursor: q.cursor ?? "",
  limit: q.limit ?? 50,
  status: q.status ?? "",
});

const pageToRest = (res: pipelinesV1.ListPipelineRunsResponse) => ({
  items: res.runs.map((r) => runToRest(r, false)),
  nextCursor: res.nextCursor || null,
});

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
function triggerAnswer(
  res: pipelinesV1.TriggerResponse,
  requestId: string,
): { status: number; body: schemas.TriggerAnswer | schemas.TriggerRefusal } {
  const body: schemas.TriggerAnswer = res.bodyJson ? JSON.parse(res.bodyJson) : undefined;
  if (res.status < 400) return { status: res.status, body };
  const e = ((body as { error?: unknown } | undefined)?.error ?? {}) as Record<string, unknown>;
  const code =
    typeof e.code === "string" && /^[a-z][a-z0-9_]{0,62}$/.test(e.code) ? e.code : "trigger_refused";
  const message = typeof e.message === "string" ? e.message.slice(0, 500) : "The trigger refused the request";
  return { status: res.status, body: { error: { code, message, requestId } } };
}

export function runRoutes(clients: GatewayClients) {
  return [
    implement(operations.startPipelineRun, async ({ params, body, ctx }) => {
      const payloadJson = body?.payload === undefined ? "" : JSON.stringify(body.payload);
      const r = await clients.pipelines.startPipelineRun({ name: params.name, payloadJson }, ctx);
      return { status: 202, body: runToRest(r, false) };
    }),
    implement(operations.listPipelineRuns, async ({ params, query, ctx }) => ({
      status: 200,
      body: pageToRest(
        await clients.pipelines.listPipelineRuns({ name: params.name, ...pageOf(query) }, ctx),
      ),
    })),
    implement(operations.listRuns, async ({ query, ctx, decision, identity }) => {
      // a user granted only some pipelines sees only their runs
      const restrictTo = decision?.restrictTo;
      const res = await clients.pipelines.listRuns(
        { ...pageOf(query), pipelines: restrictTo ?? [], restricted: restrictTo !== undefined },
        ctx,
      );
      // and nobody sees the runs of a pipeline a deny override keeps from them
      const subject = identity ? subjectOf(identity) : undefined;
      const readable = (pipeline: string) =>
        !!subject &&
        decide(subject, { action: Scope.PipelinesWrite, resource: { type: "pipeline", id: pipeline } })
          .allowed;
      return {
        status: 200,
        body: pageToRest({ ...res, runs: res.runs.filter((r) => readable(r.pipeline)) }),
      };
    }),
    implement(operations.listPipelineTriggers, async ({ params, ctx }) => {
      const res = await clients.pipelines.listPipelineTriggers({ name: params.name }, ctx);
      return {
        status: 200,
        body: {
          enabled: res.enabled,
          items: res.triggers.map((t) => ({
            id: t.id,
            uses: t.uses,
            config: json(t.configJson),
            timers: t.timers.map((x) => ({ key: x.key, at: (x.at ?? new Date(0)).toISOString() })),
            status: json(t.statusJson),
            hookUrl: t.hookUrl || null,
          })),
        },
      };
    }),
    implement(operations.getPipelineRun, async ({ params, ctx }) => ({
      status: 200,
      body: runToRest(
        await clients.pipelines.getPipelineRun({ name: params.name, runId: params.runId }, ctx),
        true,
      ),
    })),
    implement(operations.controlTrigger, async ({ params, body, ctx }) =>
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
    ),
    implement(operations.deliverWebhook, async ({ params, ctx, koa }) => {
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
    }),
    implement(operations.showCheckInPage, async ({ params, ctx }) => {
      try {
        const link = await clients.pipelines.resolveTriggerLink({ token: params.token }, ctx);
        return { status: 200, html: checkInPage(link.pipeline, params.token) };
      } catch {
        return { status: 404, html: invalidLinkPage() };
      }
    }),
    implement(operations.checkInByLink, async ({ params, ctx }) => {
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
    }),
  ];
}
