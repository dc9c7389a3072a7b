import type { pipelinesV1 } from "@latchflow/proto";
import { type Logger, notFound, type RequestContext } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import type { PipelineDocument } from "@latchflow/spec";
import { PipelineRow } from "../pipelines/entities.js";
import { TimerRow } from "../runs/entities.js";
import { ARM_KEY, type TriggerRunner } from "./trigger-runner.js";

export interface TriggersApiDeps {
  db: Database;
  triggers: TriggerRunner;
  publicUrl: () => string;
  logger: Logger;
}

/** Webhook triggers take requests at the public ingress (`deliverWebhook`). */
const takesRequests = (uses: string) => uses.startsWith("webhook@");

/** How a pipeline's triggers stand: their config, their pending timers and what each says of itself. */
export function createTriggersApi(d: TriggersApiDeps) {
  const log = d.logger.child({ component: "triggers-api" });
  return {
    async listPipelineTriggers(
      req: pipelinesV1.ListPipelineTriggersRequest,
      ctx: RequestContext,
    ): Promise<pipelinesV1.ListPipelineTriggersResponse> {
      const pipeline = await d.db.em().findOne(PipelineRow, { tenant: ctx.tenant, name: req.name });
      if (!pipeline) throw notFound("Pipeline not found", { pipeline: req.name });
      const doc = JSON.parse(pipeline.parsed) as PipelineDocument;
      const timers = await d.db
        .em()
        .find(
          TimerRow,
          { tenant: ctx.tenant, pipelineId: pipeline.id, key: { $ne: ARM_KEY } },
          { orderBy: { dueAt: "asc" } },
        );
      const triggers = await Promise.all(
        doc.spec.triggers.map(async (t): Promise<pipelinesV1.TriggerInfo> => {
          let status: unknown;
          // a disabled pipeline's triggers are not armed: nothing of theirs is current
          if (pipeline.enabled) {
            status = await d.triggers.status(pipeline, t.id, ctx).catch((err: unknown) => {
              // a trigger that cannot answer (capability disabled, plugin error) still shows its config
              log.warn({ err, pipeline: pipeline.name, trigger: t.id }, "trigger status failed");
              return undefined;
            });
          }
          return {
            id: t.id,
            uses: t.uses,
            configJson: JSON.stringify(t.with ?? {}),
            timers: timers.filter((x) => x.triggerId === t.id).map((x) => ({ key: x.key, at: x.dueAt })),
            statusJson: status === undefined ? "" : JSON.stringify(status),
            hookUrl: takesRequests(t.uses) ? `${d.publicUrl()}/hooks/${pipeline.name}/${t.id}` : "",
          };
        }),
      );
      return { enabled: pipeline.enabled, triggers };
    },
  };
}
