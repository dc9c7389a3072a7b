import type { pipelinesV1 } from "@latchflow/proto";
import { type RequestContext, statsWindow } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import type { PipelineDocument } from "@latchflow/spec";
import { PipelineRow } from "../pipelines/entities.js";
import { RunRow, TimerRow } from "./entities.js";

/** A trigger's timer of this key is a pending deadline (deadman@1 names its firing timer so). */
export const DEADLINE_TIMER_KEY = "deadline";
const MAX_DEADLINES = 20;

function triggerUses(p: PipelineRow): Map<string, string> {
  try {
    const doc = JSON.parse(p.parsed) as PipelineDocument;
    return new Map((doc.spec.triggers ?? []).map((t) => [t.id, t.uses]));
  } catch {
    return new Map();
  }
}

/**
 * Figures for the admin dashboard (ADR 032) over the pipelines in scope (by name): the pending deadlines of
 * their triggers, soonest first, and their runs that failed since `failedSince`, newest first. Runs of a
 * pipeline deleted (or deleted and made again) since are left out: their pages are gone.
 */
export function createStatsApi(deps: { db: Database; now: () => Date }) {
  return {
    async getPipelineStats(
      req: pipelinesV1.GetPipelineStatsRequest,
      ctx: RequestContext,
    ): Promise<pipelinesV1.PipelineStats> {
      const { from, to } = statsWindow(deps.now(), req.days);
      const none = { from, to, deadlines: [], failedRuns: [], failedTotal: 0 };
      if (req.restricted && req.names.length === 0) return none;
      const em = deps.db.em();
      const pipelines = await em.find(PipelineRow, {
        tenant: ctx.tenant,
        ...(req.restricted ? { name: { $in: req.names } } : {}),
      });
      const byId = new Map(pipelines.map((p) => [p.id, p]));
      const ids = [...byId.keys()];
      if (ids.length === 0) return none;
      const failed = {
        tenant: ctx.tenant,
        pipelineId: { $in: ids },
        status: "failed",
        finishedAt: { $gte: from, $lte: to },
      };
      const [timers, runs, failedTotal] = await Promise.all([
        em.find(
          TimerRow,
          { tenant: ctx.tenant, pipelineId: { $in: ids }, key: DEADLINE_TIMER_KEY },
          { orderBy: { dueAt: "asc" }, limit: MAX_DEADLINES },
        ),
        em.find(RunRow, failed, {
          orderBy: { finishedAt: "desc", id: "desc" },
          limit: Math.min(20, Math.max(1, req.failedLimit || 5)),
          fields: ["id", "pipelineName", "triggerId", "errorCode", "errorMessage", "finishedAt"],
        }),
        em.count(RunRow, failed),
      ]);
      const uses = new Map(pipelines.map((p) => [p.id, triggerUses(p)]));
      return {
        from,
        to,
        deadlines: timers.map((t) => ({
          pipeline: byId.get(t.pipelineId)?.name ?? "",
          trigger: t.triggerId,
          uses: uses.get(t.pipelineId)?.get(t.triggerId) ?? "",
          dueAt: t.dueAt,
        })),
        failedRuns: runs.map((r) => ({
          id: r.id,
          pipeline: r.pipelineName,
          trigger: r.triggerId,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
        })),
        failedTotal,
      };
    },
  };
}
