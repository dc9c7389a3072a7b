import type { PluginHost } from "@latchflow/plugin-host";
import {
  actionDeadlineMs,
  actionInputOf,
  DEFAULT_STEP_TIMEOUT_MS,
  stepFailureOf,
} from "@latchflow/plugin-sdk/invocation";
import { currentTraceparent, type Logger } from "@latchflow/runtime";
import type { Database, EntityManager, OutboxRelay } from "@latchflow/runtime/db";
import type { Json, JsonObject } from "@latchflow/sandbox";
import { evaluateCondition, type PipelineStep, parseDuration } from "@latchflow/spec";
import { type HostDeps, hostCapabilities } from "../plugins/host-capabilities.js";
import { directKv } from "../plugins/kv.js";
import { migrateExport, type Registry } from "../plugins/registry.js";
import type { CreatedRun, RunSpec } from "./create-run.js";
import { RunRow, StepRow } from "./entities.js";
import { retryDelay } from "./retry.js";
import { type Failure, LeaseLost, RunJournal } from "./run-journal.js";

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

/** A run this replica created whose first step's first attempt started in the creating transaction. */
export interface Begun {
  journal: RunJournal;
  attempt: { id: string; number: number };
}

export interface ExecuteOptions {
  /**
   * This replica created the run with its own lease in the same transaction, so there is nothing to claim
   * (one write fewer on the trigger → first step path).
   */
  owned?: boolean;
  /** what {@link Executor.begin} started with the run (after that transaction committed) */
  begun?: Begun;
}

export interface Executor {
  /**
   * Inside the transaction that creates a run with this replica's lease: starts its first step's first
   * attempt there too, so the action is invoked right after that one commit (the step-started state is
   * what a commit of its own would have written). Undefined when the first step has a condition.
   */
  begin(tx: EntityManager, created: CreatedRun): Promise<Begun | undefined>;
  /** Claims the run (unless owned) and runs it as far as it can go. */
  execute(runId: string, options?: ExecuteOptions): Promise<void>;
  /** Runs being executed here right now. */
  active(): ReadonlySet<string>;
  /** Stops taking work, waits for the steps in flight; their runs are resumed by the next replica. */
  stop(): Promise<void>;
}

/** The failure recorded for a step: the one rule the local harness applies too. */
export function describeError(err: unknown): Failure {
  return stepFailureOf(err);
}

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

  /**
   * A fenced state change of a run, with the events it emitted: it commits only while this replica still
   * holds the run's lease (and renews it), so a replica that lost its lease mid-step — another one took the
   * run over — can no longer write. The check is the change's own UPDATE of the run (see RunJournal.record).
   */
  const commitWith = async <T>(journal: RunJournal, fn: (tx: EntityManager) => Promise<T>): Promise<T> => {
    const fence = { owner: deps.replicaId, until: leaseUntil() };
    const out = await db.transaction((tx) => journal.record(tx, () => fn(tx), fence));
    deps.relay.nudge();
    return out;
  };

  const scheduleWake = (runId: string, delayMs: number) => {
    if (delayMs > 10 * 60_000) return; // the scheduler's poll picks it up
    clearTimeout(wakeups.get(runId));
    const t = setTimeout(() => {
      wakeups.delete(runId);
      if (!stopping) void execute(runId);
    }, delayMs + 5);
    t.unref();
    wakeups.set(runId, t);
  };

  async function begin(tx: EntityManager, created: CreatedRun): Promise<Begun | undefined> {
    const { run, steps, draft } = created;
    const spec = JSON.parse(run.spec) as RunSpec;
    const first = spec.steps[0];
    if (!first || first.if || stopping) return undefined;
    const journal = new RunJournal(run, spec, steps, now, draft);
    return { journal, attempt: await journal.record(tx, () => journal.startAttempt(tx, 0, first)) };
  }

  /** The run as stored, or undefined when it is waiting and was woken early (the lease is given back). */
  async function load(runId: string): Promise<RunJournal | undefined> {
    const run = await db.em().findOneOrFail(RunRow, { id: runId });
    if (run.status === "waiting" && run.wakeAt && run.wakeAt.getTime() > now().getTime()) {
      // woken a little early (timers are not exact): give the lease back and come back on time
      await db
        .em()
        .nativeUpdate(
          RunRow,
          { id: runId, leaseOwner: deps.replicaId },
          { leaseOwner: null, leaseUntil: null },
        );
      scheduleWake(runId, run.wakeAt.getTime() - now().getTime());
      return undefined;
    }
    const spec = JSON.parse(run.spec) as RunSpec;
    const steps = await db.em().find(StepRow, { runId }, { orderBy: { position: "asc" } });
    return new RunJournal(run, spec, steps, now);
  }

  async function runSteps(runId: string, begun?: Begun): Promise<void> {
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
      const journal = begun?.journal ?? (await load(runId));
      if (!journal) return;
      const { run, spec } = journal;
      /** a fenced commit of journal changes, with the events they emitted */
      const commit = <T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> => commitWith(journal, fn);

      for (let i = run.cursor; i < spec.steps.length; i++) {
        if (lost || stopping) return;
        const def = spec.steps[i] as PipelineStep;

        const started = i === 0 ? begun?.attempt : undefined;
        if (def.if && !started) {
          const cond = evaluateCondition(def.if, {
            trigger: { ...journal.trigger, firedAt: run.firedAt },
            steps: journal.outcomes(i),
          });
          if (!cond.ok || !cond.value) {
            const error = cond.ok ? undefined : cond.message;
            await commit((tx) => journal.skip(tx, i, def, error));
            if (error !== undefined && def.onFailure !== "continue") {
              return commit((tx) => journal.finish(tx, "condition_error", error));
            }
            continue;
          }
        }

        const attempt = started ?? (await commit((tx) => journal.startAttempt(tx, i, def)));
        let outputs: Json;
        try {
          outputs = await invokeAction(journal, def, attempt.number, i);
        } catch (err) {
          // shutting down: the plugin host is closing under the step. Record nothing: the attempt stays
          // "running", the lease runs out and the next kernel resumes the step (as after a crash).
          if (stopping) return;
          const f = describeError(err);
          const delay = retryDelay(
            def.retry,
            { attempt: attempt.number, code: f.code, retryable: f.retryable },
            deps.random,
          );
          const retryAt = delay === undefined ? null : new Date(now().getTime() + delay);
          log.warn(
            { runId, stepId: def.id, attempt: attempt.number, code: f.code, retryAt },
            "step attempt failed",
          );
          const stop = !retryAt && def.onFailure !== "continue";
          // a step that failed for good and stops the run: both in one transaction, so a crash in between
          // cannot run the step again
          await commit(async (tx) => {
            await journal.fail(tx, i, def, attempt, f, retryAt);
            if (stop) await journal.finish(tx, f.code, `step ${def.id}: ${f.message}`);
          });
          if (retryAt) scheduleWake(runId, delay ?? 0);
          if (retryAt || stop) return;
          continue;
        }
        // outside the try: a failed commit is not the action failing (it may have acted already)
        await commit((tx) => journal.succeed(tx, i, def, attempt, outputs));
      }
      if (!journal.finished) await commit((tx) => journal.finishWithOutcome(tx));
    } finally {
      clearInterval(heartbeat);
    }
  }

  async function invokeAction(
    journal: RunJournal,
    def: PipelineStep,
    attempt: number,
    position: number,
  ): Promise<Json> {
    const { run, spec, ctx } = journal;
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
    const input = actionInputOf({
      config,
      trigger: journal.trigger,
      steps: journal.outcomes(position),
      runId: run.id,
      attempt,
      stepId: def.id,
      pipeline: { name: run.pipelineName, version: run.pipelineVersion, ownerEmail: spec.ownerEmail },
      now: now(),
      portalUrl: deps.portalUrl(),
    });
    const site = `${run.pipelineId}/${def.id}`;
    const kv = directKv(db, { tenant: run.tenant, plugin: entry.pluginName, scope: site }, now);
    const caps = hostCapabilities(deps.hostDeps, { tenant: run.tenant, entry, site, ctx, kv });
    const traceparent = currentTraceparent();
    return deps.host.invoke(entry.hostName, entry.exportName, input, caps, {
      deadlineMs: actionDeadlineMs(timeoutOf(def), { limits: { wallClockMs: entry.wallClockMs ?? 0 } }),
      requestId: ctx.requestId,
      ...(traceparent ? { traceparent } : {}),
    });
  }

  function execute(runId: string, options: ExecuteOptions = {}): Promise<void> {
    const current = running.get(runId);
    if (current) return current;
    if (stopping) return Promise.resolve();
    const job = (async () => {
      try {
        if (!options.owned && !(await claim(runId))) return;
        await runSteps(runId, options.begun);
      } catch (err) {
        if (err instanceof LeaseLost) log.info({ runId }, "another kernel took the run over; stopping here");
        else
          log.error({ err, runId }, "run execution failed; another attempt follows when its lease expires");
      } finally {
        running.delete(runId);
      }
    })();
    running.set(runId, job);
    return job;
  }

  return {
    begin,
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
