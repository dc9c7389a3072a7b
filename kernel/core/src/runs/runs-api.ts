import { type ControlAction, invalidSignature } from "@latchflow/plugin-sdk";
import { controlEvent, MAX_HOOK_BODY_BYTES, requestEvent } from "@latchflow/plugin-sdk/invocation";
import type { pipelinesV1 } from "@latchflow/proto";
import {
  actorOf,
  ErrorCode,
  LatchflowError,
  notFound,
  type RequestContext,
  validationFailed,
} from "@latchflow/runtime";
import { type Database, emitEvent, type OutboxRelay } from "@latchflow/runtime/db";
import type { Json } from "@latchflow/sandbox";
import { createAjv, type PipelineDocument } from "@latchflow/spec";
import { PipelineRow } from "../pipelines/entities.js";
import type { Registry } from "../plugins/registry.js";
import type { LinkSigner } from "../triggers/links.js";
import { type TriggerRunner, triggerOf } from "../triggers/trigger-runner.js";
import { createRun, type RunSpec } from "./create-run.js";
import { AttemptRow, RunRow, StepRow } from "./entities.js";
import type { Executor } from "./executor.js";

export interface RunsApiDeps {
  db: Database;
  relay: OutboxRelay;
  registry: Registry;
  executor: Executor;
  triggers: TriggerRunner;
  links: LinkSigner;
  now: () => Date;
  replicaId: string;
  leaseMs: number;
  owner: (pipeline: PipelineRow, ctx: RequestContext) => Promise<{ id: string; email: string }>;
}

const MAX_PAYLOAD = 256 * 1024;
const CONTROL_ACTIONS: readonly ControlAction[] = ["check-in", "pause", "resume"];
/** handled by the kernel, not the trigger plugin: revokes the trigger's outstanding signed links */
const ROTATE_LINKS = "rotate-links";

function runToProto(r: RunRow): pipelinesV1.PipelineRun {
  return {
    id: r.id,
    pipeline: r.pipelineName,
    pipelineVersion: r.pipelineVersion,
    triggerId: r.triggerId,
    triggerUses: r.triggerUses,
    triggerKind: r.triggerKind,
    triggerPayloadJson: r.triggerPayload,
    status: r.status,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    createdAt: r.createdAt,
    ...(r.startedAt ? { startedAt: r.startedAt } : {}),
    ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
    ...(r.wakeAt ? { wakeAt: r.wakeAt } : {}),
    steps: [],
  };
}

/**
 * How long a webhook trigger usually takes to answer (a moving average), so a refusal that needs no trigger
 * can take as long, ±15%.
 */
function createTypicalDelay(initialMs = 5) {
  let typicalMs = initialMs;
  return {
    record(ms: number) {
      typicalMs = typicalMs * 0.8 + Math.min(ms, 2_000) * 0.2;
    },
    wait: () => new Promise<void>((r) => setTimeout(r, typicalMs * (0.85 + Math.random() * 0.3))),
  };
}

const gone = () => notFound("Pipeline or trigger not found");

/**
 * A page of runs, newest first (ids sort by time). Payloads (up to 256 KiB each) only come with one run, so a
 * page stays small.
 */
async function pageOfRuns(
  db: Database,
  where: { tenant: string; pipelineId?: string; pipelineName?: { $in: string[] } },
  req: { cursor: string; limit: number; status: string },
) {
  const limit = Math.min(Math.max(req.limit || 50, 1), 200);
  const rows = await db.em().find(
    RunRow,
    {
      ...where,
      ...(req.status ? { status: req.status } : {}),
      ...(req.cursor ? { id: { $lt: req.cursor } } : {}),
    },
    { orderBy: { id: "desc" }, limit: limit + 1 },
  );
  const page = rows.slice(0, limit);
  return {
    runs: page.map((r) => ({ ...runToProto(r), triggerPayloadJson: "" })),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? "") : "",
  };
}

/** Runs, their history, and the trigger ingress (webhooks, owner controls, signed links). */
export function createRunsApi(d: RunsApiDeps) {
  const hookTiming = createTypicalDelay();
  const schemas = new Map<string, ReturnType<ReturnType<typeof createAjv>["compile"]>>();

  const pipelineByName = async (ctx: RequestContext, name: string) => {
    const row = await d.db.em().findOne(PipelineRow, { tenant: ctx.tenant, name });
    if (!row) throw notFound("Pipeline not found", { pipeline: name });
    return row;
  };

  const checkPayload = (schema: unknown, payload: Json) => {
    if (schema === undefined) return;
    const key = JSON.stringify(schema);
    let validate = schemas.get(key);
    if (!validate) {
      try {
        // one Ajv per schema: a `$id` compiled twice in a shared instance would clash
        validate = createAjv().compile(schema as object);
      } catch (err) {
        throw validationFailed(
          `The trigger's payloadSchema is not a valid JSON Schema: ${(err as Error).message}`,
        );
      }
      if (schemas.size > 100) schemas.clear();
      schemas.set(key, validate);
    }
    if (!validate(payload)) {
      throw validationFailed("The payload does not match the trigger's payloadSchema", {
        issues: (validate.errors ?? []).map((e) => ({ path: e.instancePath, message: e.message ?? "" })),
      });
    }
  };

  const respond = (out: { response?: { status: number; body?: Json } }, fallback: number) => ({
    status: out.response?.status ?? fallback,
    bodyJson: out.response?.body === undefined ? "" : JSON.stringify(out.response.body),
  });

  const control = async (
    ctx: RequestContext,
    pipeline: PipelineRow,
    triggerId: string,
    action: string,
    until?: Date,
  ) => {
    if (action === ROTATE_LINKS) return rotateLinks(ctx, pipeline, triggerId);
    if (!CONTROL_ACTIONS.includes(action as ControlAction)) {
      throw validationFailed(`action must be one of ${[...CONTROL_ACTIONS, ROTATE_LINKS].join(", ")}`, {
        field: "action",
      });
    }
    if (!pipeline.enabled) throw new LatchflowError(ErrorCode.Conflict, "The pipeline is disabled");
    triggerOf(pipeline, triggerId);
    const out = await d.triggers.invoke({
      pipeline,
      triggerId,
      ctx,
      event: controlEvent(action as ControlAction, `${actorOf(ctx).kind}:${actorOf(ctx).id}`, until),
    });
    await controlled(ctx, pipeline, triggerId, action);
    return respond(out, 200);
  };

  const controlled = async (
    ctx: RequestContext,
    pipeline: PipelineRow,
    triggerId: string,
    action: string,
  ) => {
    await d.db.em().transactional(async (tx) => {
      await emitEvent(
        tx,
        ctx,
        "pipelines.trigger.controlled",
        { pipelineId: pipeline.id, triggerId },
        { pipelineId: pipeline.id, name: pipeline.name, triggerId, action },
      );
    });
    d.relay.nudge();
  };

  /** Revokes every check-in link of the trigger handed out so far (also on a disabled pipeline). */
  const rotateLinks = async (ctx: RequestContext, pipeline: PipelineRow, triggerId: string) => {
    triggerOf(pipeline, triggerId);
    const generation = await d.links.rotate(pipeline.tenant, pipeline.id, triggerId, d.now());
    await controlled(ctx, pipeline, triggerId, ROTATE_LINKS);
    return respond({ response: { status: 200, body: { rotated: true, generation } } }, 200);
  };

  return {
    async startPipelineRun(req: pipelinesV1.StartPipelineRunRequest, ctx: RequestContext) {
      const pipeline = await pipelineByName(ctx, req.name);
      if (!pipeline.enabled) throw new LatchflowError(ErrorCode.Conflict, "The pipeline is disabled");
      const doc = JSON.parse(pipeline.parsed) as PipelineDocument;
      const trigger = doc.spec.triggers.find((t) => t.uses === "manual@1");
      if (!trigger) {
        throw new LatchflowError(
          ErrorCode.Conflict,
          "This pipeline has no manual@1 trigger, so it cannot be run by hand",
        );
      }
      if (req.payloadJson.length > MAX_PAYLOAD)
        throw validationFailed(`The payload is at most ${MAX_PAYLOAD} bytes`);
      let payload: Json = {};
      if (req.payloadJson) {
        try {
          payload = JSON.parse(req.payloadJson) as Json;
        } catch {
          throw validationFailed("The payload is not JSON");
        }
      }
      await d.registry.resolve(ctx.tenant, trigger.uses);
      checkPayload((trigger.with as { payloadSchema?: unknown } | undefined)?.payloadSchema, payload);
      const owner = await d.owner(pipeline, ctx);
      const now = d.now();
      const { run, begun } = await d.db.transaction(async (tx) => {
        const { created, prepared } = await createRun(
          tx,
          {
            tenant: ctx.tenant,
            pipeline,
            owner,
            triggerId: trigger.id,
            triggerUses: trigger.uses,
            kind: "manual",
            payload: { payload, requestedBy: actorOf(ctx).id },
            firedAt: now,
            leaseOwner: d.replicaId,
            leaseUntil: new Date(now.getTime() + d.leaseMs),
            requestId: ctx.requestId,
            actor: ctx,
          },
          (c) => d.executor.begin(tx, c),
        );
        return { run: created.run, begun: prepared };
      });
      d.relay.nudge();
      void d.executor.execute(run.id, { owned: true, ...(begun ? { begun } : {}) });
      return runToProto(run);
    },

    async listPipelineRuns(req: pipelinesV1.ListPipelineRunsRequest, ctx: RequestContext) {
      const pipeline = await pipelineByName(ctx, req.name);
      return pageOfRuns(d.db, { tenant: ctx.tenant, pipelineId: pipeline.id }, req);
    },

    async listRuns(req: pipelinesV1.ListRunsRequest, ctx: RequestContext) {
      if (req.restricted && req.pipelines.length === 0) return { runs: [], nextCursor: "" };
      return pageOfRuns(
        d.db,
        { tenant: ctx.tenant, ...(req.restricted ? { pipelineName: { $in: req.pipelines } } : {}) },
        req,
      );
    },

    async getPipelineRun(req: pipelinesV1.GetPipelineRunRequest, ctx: RequestContext) {
      const pipeline = await pipelineByName(ctx, req.name);
      const run = await d.db
        .em()
        .findOne(RunRow, { id: req.runId, tenant: ctx.tenant, pipelineId: pipeline.id });
      if (!run) throw notFound("Run not found", { run: req.runId });
      const steps = await d.db.em().find(StepRow, { runId: run.id }, { orderBy: { position: "asc" } });
      const attempts = await d.db
        .em()
        .find(AttemptRow, { stepRunId: { $in: steps.map((s) => s.id) } }, { orderBy: { number: "asc" } });
      const defs = (JSON.parse(run.spec) as RunSpec).steps;
      return {
        ...runToProto(run),
        steps: steps.map((s) => ({
          stepId: s.stepId,
          condition: defs.find((x) => x.id === s.stepId)?.if ?? "",
          uses: s.uses,
          status: s.status,
          outputsJson: s.outputs,
          errorCode: s.errorCode,
          errorMessage: s.errorMessage,
          ...(s.startedAt ? { startedAt: s.startedAt } : {}),
          ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
          attempts: attempts
            .filter((a) => a.stepRunId === s.id)
            .map((a) => ({
              number: a.number,
              status: a.status,
              errorCode: a.errorCode,
              errorMessage: a.errorMessage,
              startedAt: a.startedAt,
              ...(a.finishedAt ? { finishedAt: a.finishedAt } : {}),
              ...(a.nextRetryAt ? { nextRetryAt: a.nextRetryAt } : {}),
            })),
        })),
      };
    },

    async deliverWebhook(req: pipelinesV1.DeliverWebhookRequest, ctx: RequestContext) {
      if (req.body.length > MAX_HOOK_BODY_BYTES) {
        throw new LatchflowError(
          ErrorCode.PayloadTooLarge,
          `The body is at most ${MAX_HOOK_BODY_BYTES} bytes`,
        );
      }
      const pipeline = await d.db.em().findOne(PipelineRow, { tenant: ctx.tenant, name: req.pipeline });
      const trigger = pipeline?.enabled
        ? (JSON.parse(pipeline.parsed) as PipelineDocument).spec.triggers.find((t) => t.id === req.triggerId)
        : undefined;
      // only webhook triggers (and third-party triggers, which decide for themselves) take requests; any other
      // name gets a bad signature's answer after a trigger's usual time, so names cannot be probed
      if (!pipeline || !trigger || !(trigger.uses.startsWith("webhook@") || trigger.uses.includes("/"))) {
        await hookTiming.wait();
        return respond(invalidSignature(), 401);
      }
      const started = performance.now();
      const out = await d.triggers.invoke({
        pipeline,
        triggerId: trigger.id,
        ctx,
        event: requestEvent(req.headers, req.body, d.now()),
      });
      hookTiming.record(performance.now() - started);
      return respond(out, 202);
    },

    async controlTrigger(req: pipelinesV1.ControlTriggerRequest, ctx: RequestContext) {
      const pipeline = await pipelineByName(ctx, req.pipeline);
      return control(ctx, pipeline, req.triggerId, req.action, req.until);
    },

    async resolveTriggerLink(req: pipelinesV1.ResolveTriggerLinkRequest, ctx: RequestContext) {
      const claims = await d.links.verify(req.token, d.now());
      const pipeline = await d.db.em().findOne(PipelineRow, { id: claims.pipelineId, tenant: claims.tenant });
      if (!pipeline || claims.tenant !== ctx.tenant) throw gone();
      return {
        pipeline: pipeline.name,
        triggerId: claims.triggerId,
        action: claims.action,
        expiresAt: new Date(claims.exp * 1000),
      };
    },

    async controlTriggerByLink(req: pipelinesV1.ControlTriggerByLinkRequest, ctx: RequestContext) {
      const claims = await d.links.verify(req.token, d.now());
      const pipeline = await d.db.em().findOne(PipelineRow, { id: claims.pipelineId, tenant: claims.tenant });
      if (!pipeline || claims.tenant !== ctx.tenant) throw gone();
      return control(ctx, pipeline, claims.triggerId, claims.action);
    },
  };
}
