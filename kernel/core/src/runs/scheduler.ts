import { CallerKind, type Logger, newId } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { PipelineRow } from "../pipelines/entities.js";
import { ARM_KEY, type TriggerRunner } from "../triggers/trigger-runner.js";
import { RunRow, TimerRow } from "./entities.js";
import type { Executor } from "./executor.js";

export interface SchedulerDeps {
  db: Database;
  executor: Executor;
  triggers: TriggerRunner;
  logger: Logger;
  now: () => Date;
  replicaId: string;
  leaseMs: number;
  pollMs: number;
}

const BATCH = 20;
const TIMER_CONCURRENCY = 4;
/** A timer whose trigger invocation failed fires again this much later. */
const RETRY_FAILED_TIMER_MS = 60_000;

/**
 * The durable clock of the kernel: every `pollMs` it fires the timers that came due and resumes runs whose
 * retry wait is over or whose replica died (lease expired). Claims are conditional UPDATEs, so with several
 * kernel replicas each timer and run is taken by exactly one.
 */
export function createScheduler(deps: SchedulerDeps) {
  const { db, now } = deps;
  const log = deps.logger.child({ component: "scheduler" });
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let stopped = false;

  const leaseFree = () => ({ $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now() } }] });

  async function fireTimers() {
    const due = await db
      .em()
      .find(
        TimerRow,
        { dueAt: { $lte: now() }, ...leaseFree() },
        { orderBy: { dueAt: "asc" }, limit: BATCH },
      );
    // a few at a time: one slow trigger must not hold up every other timer (nor the resumption of runs)
    const queue = [...due];
    const worker = async () => {
      for (let t = queue.shift(); t && !stopped; t = queue.shift()) await fireTimer(t);
    };
    await Promise.all(Array.from({ length: TIMER_CONCURRENCY }, worker));
  }

  async function fireTimer(t: TimerRow) {
    const claimed = await db
      .em()
      .nativeUpdate(
        TimerRow,
        { id: t.id, ...leaseFree() },
        { leaseOwner: deps.replicaId, leaseUntil: new Date(now().getTime() + deps.leaseMs) },
      );
    if (claimed !== 1) return;
    const pipeline = await db.em().findOne(PipelineRow, { id: t.pipelineId });
    if (!pipeline?.enabled) {
      await db.em().nativeDelete(TimerRow, { id: t.id });
      return;
    }
    const requestId = newId();
    try {
      await deps.triggers.invoke({
        pipeline,
        triggerId: t.triggerId,
        event:
          t.key === ARM_KEY ? { type: "arm" } : { type: "timer", key: t.key, dueAt: t.dueAt.toISOString() },
        ctx: { requestId, tenant: t.tenant, caller: { kind: CallerKind.System, id: "scheduler" } },
        timer: { ...t, leaseOwner: deps.replicaId },
      });
    } catch (err) {
      // try again later, not at every poll: a broken trigger must not spin
      log.warn(
        { err, pipeline: pipeline.name, trigger: t.triggerId, key: t.key, requestId },
        "timer invocation failed",
      );
      await db
        .em()
        .nativeUpdate(
          TimerRow,
          { id: t.id, leaseOwner: deps.replicaId },
          { dueAt: new Date(now().getTime() + RETRY_FAILED_TIMER_MS), leaseOwner: null, leaseUntil: null },
        )
        .catch(() => undefined);
    }
  }

  async function resumeRuns() {
    const active = deps.executor.active();
    const rows = await db.em().find(
      RunRow,
      {
        status: { $in: ["queued", "running", "waiting"] },
        $and: [leaseFree(), { $or: [{ wakeAt: null }, { wakeAt: { $lte: now() } }] }],
      },
      { orderBy: { id: "asc" }, limit: BATCH, fields: ["id"] },
    );
    for (const r of rows) if (!active.has(r.id)) void deps.executor.execute(r.id);
  }

  async function tick() {
    try {
      await fireTimers();
      await resumeRuns();
    } catch (err) {
      log.error({ err }, "scheduler tick failed");
    }
  }

  const loop = () => {
    if (stopped) return;
    ticking = tick().finally(() => {
      ticking = undefined;
      if (!stopped) timer = setTimeout(loop, deps.pollMs);
    });
  };

  return {
    start() {
      stopped = false;
      loop();
    },
    /** Runs one tick now (tests; and after a save, so an arm job does not wait for the poll). */
    async poke() {
      if (ticking) await ticking;
      await tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
