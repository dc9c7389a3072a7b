import type { PluginHost } from "@latchflow/plugin-host";
import type { ActionInput, StepOutcome } from "@latchflow/plugin-sdk";
import {
  currentTraceparent,
  type Database,
  type EntityManager,
  emitEvent,
  isLatchflowError,
  type Logger,
  newId,
  type OutboxRelay,
  pipelineRunsTotal,
  pipelineStepsTotal,
  pipelineTriggerToFirstStepSeconds,
} from "@latchflow/runtime";
import { isSandboxError, type Json, type JsonObject } from "@latchflow/sandbox";
import { evaluateCondition, type PipelineStep, parseDuration } from "@latchflow/spec";
import { type HostDeps, hostCapabilities } from "../plugins/host-capabilities.js";
import { directKv } from "../plugins/kv.js";
import { migrateExport, type Registry } from "../plugins/registry.js";
import { type RunSpec, runContext } from "./create-run.js";
import { AttemptRow, RunRow, StepRow } from "./entities.js";
import { retryDelay } from "./retry.js";

export const DEFAULT_STEP_TIMEOUT_MS = 60_000;
/** How long a stopping kernel waits for steps in flight before it lets the plugin host go. */
const STOP_GRACE_MS = 5_000;

export interface ExecutorDeps {
  db: Database;
  relay: OutboxRelay;
  registry: Registry;
  host: PluginHost;
  hostDeps: HostDeps;
  logger: Logger;
  now: () => Date;
  replicaId: string;
  leaseMs: number;
  portalUrl: () => string;
  random?: () => number;
}

export interface Executor {
  /**
   * Claims the run and runs it as far as it can go. `owned`: this replica created it with its own lease in
   * the same transaction, so there is nothing to claim (one write fewer on the trigger → first step path).
   */
  execute(runId: string, options?: { owned?: boolean }): Promise<void>;
  /** Runs being executed here right now. */
  active(): ReadonlySet<string>;
  /** Stops taking work, waits for the steps in flight; their runs are resumed by the next replica. */
  stop(): Promise<void>;
}

interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

export function describeError(err: unknown): Failure {
  if (isSandboxError(err)) {
    // a plugin that let a host call's error through, or classified its own failure, names the real cause
    const details = (err.details ?? {}) as { hostCode?: unknown; pluginCode?: unknown };
    const inner = typeof details.hostCode === "string" ? details.hostCode : details.pluginCode;
    const code = err.code === "plugin_error" && typeof inner === "string" ? inner : err.code;
    return { code, message: err.message, retryable: err.retryable };
  }
  if (isLatchflowError(err)) return { code: err.code, message: err.message, retryable: err.retryable };
  const e = err as { code?: unknown; message?: unknown; retryable?: unknown };
  return {
    code: typeof e?.code === "string" ? e.code : "internal",
    message: typeof e?.message === "string" ? e.message : "unexpected failure",
    retryable: e?.retryable === true,
  };
}

const parse = (text: string): Json => JSON.parse(text) as Json;

function timeoutOf(step: PipelineStep): number {
  if (!step.timeout) return DEFAULT_STEP_TIMEOUT_MS;
  const d = parseDuration(step.timeout);
  return d.ok ? Math.max(1, d.ms) : DEFAULT_STEP_TIMEOUT_MS;
}

export function createExecutor(deps: ExecutorDeps): Executor {
  const { db, now } = deps;
  const log = deps.logger.child({ component: "orchestrator" });
  const running = new Map<string, Promise<void>>();
  const wakeups = new Map<string, NodeJS.Timeout>();
  let stopping = false;

  const leaseUntil = () => new Date(now().getTime() + deps.leaseMs);

  /** One conditional UPDATE: exactly one replica wins a run whose lease is free or expired. */
  const claim = async (runId: string): Promise<boolean> => {
    const n = await db.em().nativeUpdate(
      RunRow,
      {
        id: runId,
        status: { $in: ["queued", "running", "waiting"] },
        $or: [{ leaseOwner: deps.replicaId }, { leaseUntil: null }, { leaseUntil: { $lt: now() } }],
      },
      { leaseOwner: deps.replicaId, leaseUntil: leaseUntil() },
    );
    return n === 1;
  };

  const commit = async (fn: (tx: EntityManager) => Promise<void>) => {
    await db.em().transactional(fn);
    deps.relay.nudge();
  };

  const scheduleWake = (runId: string, delayMs: number) => {
    if (delayMs > 10 * 60_000) return; // the scheduler's poll picks it up
    clearTimeout(wakeups.get(runId));
    const t = setTimeout(() => {
      wakeups.delete(runId);
      if (!stopping) void execute(runId);
    }, delayMs);
    t.unref();
    wakeups.set(runId, t);
  };

  async function runSteps(runId: string): Promise<void> {
    let lost = false;
    const heartbeat = setInterval(
      () => {
        db.em()
          .nativeUpdate(RunRow, { id: runId, leaseOwner: deps.replicaId }, { leaseUntil: leaseUntil() })
          .then((n) => {
            if (n === 0) lost = true;
          })
          .catch((err) => log.warn({ err, runId }, "lease renewal failed"));
      },
      Math.max(50, Math.floor(deps.leaseMs / 3)),
    );
    heartbeat.unref();
    try {
      const run = await db.em().findOneOrFail(RunRow, { id: runId });
      if (run.status === "waiting" && run.wakeAt && run.wakeAt.getTime() > now().getTime()) return;
      const spec = JSON.parse(run.spec) as RunSpec;
      const ctx = runContext(run, spec.ownerId);
      const steps = await db.em().find(StepRow, { runId }, { orderBy: { position: "asc" } });
      const ids = { pipelineId: run.pipelineId, runId: run.id };

      // "run started" commits with the first thing the run does (one transaction fewer per run)
      let marked = false;
      const markRunning = async (tx: EntityManager) => {
        if (marked) return;
        marked = true;
        const r = await tx.findOneOrFail(RunRow, { id: runId });
        if (!r.startedAt) {
          r.startedAt = now();
          emitEvent(tx, ctx, "pipelines.run.started", ids, {
            runId,
            pipelineId: run.pipelineId,
            name: run.pipelineName,
            triggerId: run.triggerId,
          });
        }
        r.status = "running";
        r.wakeAt = null;
      };

      // the run's outcome commits with its last step (one transaction fewer per run)
      let finished = false;
      const finishWithOutcome = async (tx: EntityManager) => {
        const failed = steps.find((x) => x.status === "failed");
        await finishIn(
          tx,
          run.id,
          ctx,
          ids,
          failed?.errorCode ?? "",
          failed ? `step ${failed.stepId}: ${failed.errorMessage}` : "",
        );
        return true;
      };

      const trigger = {
        id: run.triggerId,
        uses: run.triggerUses,
        kind: run.triggerKind,
        firedAt: run.firedAt.toISOString(),
        payload: parse(run.triggerPayload),
      };
      const outcomes = (upTo: number) => {
        const seen: Record<string, { outcome: StepOutcome; outputs: Json }> = {};
        for (const s of steps.slice(0, upTo)) {
          if (s.status === "succeeded" || s.status === "failed" || s.status === "skipped") {
            seen[s.stepId] = { outcome: s.status, outputs: parse(s.outputs) };
          }
        }
        return seen;
      };

      for (let i = run.cursor; i < spec.steps.length; i++) {
        if (lost || stopping) return;
        const def = spec.steps[i] as PipelineStep;
        const row = steps[i] as StepRow;
        const stepIds = { ...ids, stepId: def.id };
        const done = (status: "succeeded" | "failed" | "skipped", fields: Partial<StepRow>) =>
          Object.assign(row, { status, finishedAt: now(), ...fields });

        if (def.if) {
          const cond = evaluateCondition(def.if, {
            trigger: { ...trigger, firedAt: run.firedAt },
            steps: outcomes(i),
          });
          if (!cond.ok || !cond.value) {
            const failed = !cond.ok;
            await commit(async (tx) => {
              await markRunning(tx);
              const s = await tx.findOneOrFail(StepRow, { id: row.id });
              const fields = failed
                ? { errorCode: "condition_error", errorMessage: cond.ok ? "" : cond.message }
                : {};
              Object.assign(s, { status: failed ? "failed" : "skipped", finishedAt: now(), ...fields });
              done(failed ? "failed" : "skipped", fields);
              if (failed) {
                pipelineStepsTotal.inc({ uses: def.uses, outcome: "failed" });
                emitEvent(tx, ctx, "pipelines.step.failed", stepIds, {
                  runId,
                  stepId: def.id,
                  uses: def.uses,
                  attempt: 0,
                  errorCode: "condition_error",
                  retryAt: null,
                });
              } else {
                pipelineStepsTotal.inc({ uses: def.uses, outcome: "skipped" });
                emitEvent(tx, ctx, "pipelines.step.skipped", stepIds, {
                  runId,
                  stepId: def.id,
                  reason: "condition is false",
                });
              }
              const r = await tx.findOneOrFail(RunRow, { id: runId });
              r.cursor = i + 1;
            });
            if (failed && def.onFailure !== "continue")
              return finish(run.id, ctx, ids, "condition_error", cond.ok ? "" : cond.message);
            continue;
          }
        }

        // a "running" attempt left by a replica that died mid-step: it may or may not have acted, so the
        // step runs again under the same idempotency key
        const attempt = row.attempts + 1;
        const attemptId = newId();
        await commit(async (tx) => {
          await markRunning(tx);
          await tx.nativeUpdate(
            AttemptRow,
            { stepRunId: row.id, status: "running" },
            { status: "abandoned", errorCode: "kernel_restarted", finishedAt: now() },
          );
          const s = await tx.findOneOrFail(StepRow, { id: row.id });
          s.status = "running";
          s.attempts = attempt;
          s.startedAt ??= now();
          Object.assign(row, { status: "running", attempts: attempt, startedAt: s.startedAt });
          tx.create(AttemptRow, {
            id: attemptId,
            stepRunId: row.id,
            number: attempt,
            status: "running",
            errorCode: "",
            errorMessage: "",
            startedAt: now(),
            finishedAt: null,
            nextRetryAt: null,
          });
          if (attempt === 1 && i === 0) {
            pipelineTriggerToFirstStepSeconds.observe(
              { trigger: run.triggerUses },
              Math.max(0, (now().getTime() - run.firedAt.getTime()) / 1000),
            );
          }
          emitEvent(tx, ctx, "pipelines.step.started", stepIds, {
            runId,
            stepId: def.id,
            uses: def.uses,
            attempt,
          });
        });

        try {
          const outputs = await invokeAction(run, spec, def, attempt, trigger, outcomes(i), ctx);
          await commit(async (tx) => {
            await tx.nativeUpdate(AttemptRow, { id: attemptId }, { status: "succeeded", finishedAt: now() });
            const s = await tx.findOneOrFail(StepRow, { id: row.id });
            const fields = { outputs: JSON.stringify(outputs ?? null), errorCode: "", errorMessage: "" };
            Object.assign(s, { status: "succeeded", finishedAt: now(), ...fields });
            done("succeeded", fields);
            const r = await tx.findOneOrFail(RunRow, { id: runId });
            r.cursor = i + 1;
            pipelineStepsTotal.inc({ uses: def.uses, outcome: "succeeded" });
            emitEvent(tx, ctx, "pipelines.step.succeeded", stepIds, {
              runId,
              stepId: def.id,
              uses: def.uses,
              attempt,
            });
            if (i === spec.steps.length - 1) finished = await finishWithOutcome(tx);
          });
        } catch (err) {
          // shutting down: the plugin host is closing under the step. Record nothing: the attempt stays
          // "running", the lease runs out and the next kernel resumes the step (as after a crash).
          if (stopping) return;
          const f = describeError(err);
          const delay = retryDelay(def.retry, { attempt, code: f.code, retryable: f.retryable }, deps.random);
          const retryAt = delay === undefined ? null : new Date(now().getTime() + delay);
          log.warn({ runId, stepId: def.id, attempt, code: f.code, retryAt }, "step attempt failed");
          await commit(async (tx) => {
            await tx.nativeUpdate(
              AttemptRow,
              { id: attemptId },
              {
                status: "failed",
                errorCode: f.code,
                errorMessage: f.message,
                finishedAt: now(),
                nextRetryAt: retryAt,
              },
            );
            const s = await tx.findOneOrFail(StepRow, { id: row.id });
            const fields = { errorCode: f.code.slice(0, 63), errorMessage: f.message };
            Object.assign(
              s,
              fields,
              retryAt ? { status: "waiting" } : { status: "failed", finishedAt: now() },
            );
            Object.assign(row, fields, { status: s.status });
            const r = await tx.findOneOrFail(RunRow, { id: runId });
            if (retryAt) {
              Object.assign(r, { status: "waiting", wakeAt: retryAt, leaseOwner: null, leaseUntil: null });
            } else if (def.onFailure === "continue") {
              r.cursor = i + 1;
            }
            pipelineStepsTotal.inc({ uses: def.uses, outcome: retryAt ? "retrying" : "failed" });
            emitEvent(tx, ctx, "pipelines.step.failed", stepIds, {
              runId,
              stepId: def.id,
              uses: def.uses,
              attempt,
              errorCode: f.code,
              retryAt: retryAt?.toISOString() ?? null,
            });
          });
          if (retryAt) {
            scheduleWake(runId, delay ?? 0);
            return;
          }
          if (def.onFailure !== "continue")
            return finish(run.id, ctx, ids, f.code, `step ${def.id}: ${f.message}`);
        }
      }
      if (!finished) await commit(async (tx) => void (await finishWithOutcome(tx)));
    } finally {
      clearInterval(heartbeat);
    }
  }

  function finish(
    runId: string,
    ctx: ReturnType<typeof runContext>,
    ids: Record<string, string>,
    errorCode: string,
    errorMessage: string,
  ) {
    return commit((tx) => finishIn(tx, runId, ctx, ids, errorCode, errorMessage));
  }

  async function finishIn(
    tx: EntityManager,
    runId: string,
    ctx: ReturnType<typeof runContext>,
    ids: Record<string, string>,
    errorCode: string,
    errorMessage: string,
  ) {
    {
      const r = await tx.findOneOrFail(RunRow, { id: runId });
      Object.assign(r, {
        status: errorCode ? "failed" : "succeeded",
        errorCode: errorCode.slice(0, 63),
        errorMessage,
        finishedAt: now(),
        leaseOwner: null,
        leaseUntil: null,
        wakeAt: null,
      });
      const base = { runId, pipelineId: r.pipelineId, name: r.pipelineName };
      pipelineRunsTotal.inc({ outcome: errorCode ? "failed" : "succeeded" });
      if (errorCode) emitEvent(tx, ctx, "pipelines.run.failed", ids, { ...base, errorCode });
      else emitEvent(tx, ctx, "pipelines.run.succeeded", ids, base);
    }
  }

  async function invokeAction(
    run: RunRow,
    spec: RunSpec,
    def: PipelineStep,
    attempt: number,
    trigger: ActionInput["trigger"],
    steps: ActionInput["steps"],
    ctx: ReturnType<typeof runContext>,
  ): Promise<Json> {
    const entry = await deps.registry.resolve(run.tenant, def.uses);
    if (entry.kind !== "action") {
      throw Object.assign(new Error(`${def.uses} is a trigger, not an action`), {
        code: "validation_failed",
      });
    }
    let config = (def.with ?? {}) as JsonObject;
    if (entry.migrateFrom !== undefined) {
      config = (await deps.host.invoke(
        entry.hostName,
        migrateExport(entry.exportName),
        { fromMajor: entry.migrateFrom, config },
        {},
        { deadlineMs: 5_000 },
      )) as JsonObject;
    }
    const input: ActionInput = {
      config,
      trigger,
      steps,
      run: { id: run.id, attempt, idempotencyKey: `${run.id}:${def.id}` },
      step: { id: def.id },
      pipeline: { name: run.pipelineName, version: run.pipelineVersion, ownerEmail: spec.ownerEmail },
      now: now().toISOString(),
      portalUrl: deps.portalUrl(),
    };
    const kv = directKv(
      db,
      { tenant: run.tenant, plugin: entry.pluginName, scope: `${run.pipelineId}/${def.id}` },
      now,
    );
    const caps = hostCapabilities(deps.hostDeps, { tenant: run.tenant, entry, config, ctx, kv });
    const traceparent = currentTraceparent();
    return deps.host.invoke(entry.hostName, entry.exportName, input as unknown as Json, caps, {
      // the step's timeout, within what the plugin itself asks for as its wall-clock limit
      deadlineMs: Math.min(timeoutOf(def), entry.wallClockMs ?? Number.POSITIVE_INFINITY),
      requestId: ctx.requestId,
      ...(traceparent ? { traceparent } : {}),
    });
  }

  function execute(runId: string, options: { owned?: boolean } = {}): Promise<void> {
    const current = running.get(runId);
    if (current) return current;
    if (stopping) return Promise.resolve();
    const job = (async () => {
      try {
        if (!options.owned && !(await claim(runId))) return;
        await runSteps(runId);
      } catch (err) {
        log.error({ err, runId }, "run execution failed; another attempt follows when its lease expires");
      } finally {
        running.delete(runId);
      }
    })();
    running.set(runId, job);
    return job;
  }

  return {
    execute,
    active: () => new Set(running.keys()),
    async stop() {
      stopping = true;
      for (const t of wakeups.values()) clearTimeout(t);
      wakeups.clear();
      // steps in flight get a moment to finish; the rest are resumed by the next kernel (lease expiry)
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...running.values()]),
        new Promise<void>((r) => {
          timer = setTimeout(r, STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
