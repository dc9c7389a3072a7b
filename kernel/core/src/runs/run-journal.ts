import type { EventEnvelope, EventPayload, EventType } from "@latchflow/bus";
import type { ActionInput, StepOutcome } from "@latchflow/plugin-sdk";
import {
  newId,
  pipelineRunsTotal,
  pipelineStepsTotal,
  pipelineTriggerToFirstStepSeconds,
} from "@latchflow/runtime";
import {
  type EntityManager,
  insertEvents,
  insertRows,
  requestEvent,
  updateWhere,
} from "@latchflow/runtime/db";
import type { Json } from "@latchflow/sandbox";
import type { PipelineStep } from "@latchflow/spec";
import { type Draft, type RunSpec, runContext } from "./create-run.js";
import { AttemptRow, RunRow, StepRow } from "./entities.js";

export interface Failure {
  code: string;
  message: string;
  retryable: boolean;
}

const parse = (text: string): Json => JSON.parse(text) as Json;

/** This replica no longer holds the run's lease: it stops without writing anything more. */
export class LeaseLost extends Error {
  constructor(runId: string) {
    super(`lease of run ${runId} lost`);
  }
}

/** The lease a change is fenced by: it commits only while `owner` holds the run's lease, renewed to `until`. */
export interface Fence {
  owner: string;
  until: Date;
}

/**
 * Every state change of one run, each applied inside the caller's transaction together with its event (and
 * its metric): the executor decides what happens, the journal records it. The loaded rows are kept in step
 * with what is written, so later decisions (conditions, outcomes) see the run as stored.
 */
export class RunJournal {
  readonly ctx: ReturnType<typeof runContext>;
  readonly ids: { pipelineId: string; runId: string };
  readonly trigger: ActionInput["trigger"];
  private marked = false;
  /** events of the change being recorded (see {@link record}) */
  private events: EventEnvelope[] | undefined;
  /** the lease the change being recorded must still hold, until its first UPDATE of the run checked it */
  private fence: Fence | undefined;

  constructor(
    readonly run: RunRow,
    readonly spec: RunSpec,
    readonly steps: StepRow[],
    private readonly now: () => Date,
    /** the rows' creating transaction has not written them yet (see {@link createRun}) */
    private readonly draft?: Draft,
  ) {
    this.ctx = runContext(run, spec.ownerId);
    this.ids = { pipelineId: run.pipelineId, runId: run.id };
    this.trigger = {
      id: run.triggerId,
      uses: run.triggerUses,
      kind: run.triggerKind,
      firedAt: run.firedAt.toISOString(),
      payload: parse(run.triggerPayload),
    };
  }

  /**
   * Runs `fn` — changes of this journal in `tx` — and adds the events they emitted to `tx`'s outbox with one
   * INSERT (not through the unit of work; on a draft, with the draft's own events). Every change is made
   * inside one.
   *
   * With a `fence`, the change commits only while `fence.owner` holds the run's lease: its first UPDATE of
   * the run carries `AND lease_owner = ?` and renews the lease; when it changes no row the change throws
   * {@link LeaseLost} (the transaction rolls back, nothing is written). Every change updates the run first
   * (the row a takeover locks first, too); one that did not is fenced by a lease renewal at its end.
   */
  async record<T>(tx: EntityManager, fn: () => Promise<T>, fence?: Fence): Promise<T> {
    this.events = [];
    this.fence = fence;
    try {
      const out = await fn();
      if (this.fence) await this.updateRun(tx, {});
      // a change of the draft: its events are inserted with the draft's (one INSERT for the creating transaction)
      if (this.drafting) this.draft?.events.push(...this.events);
      else await insertEvents(tx, this.events);
      return out;
    } finally {
      this.events = undefined;
      this.fence = undefined;
    }
  }

  private emit<T extends EventType>(type: T, subjectIds: Record<string, string>, data: EventPayload<T>) {
    if (!this.events) throw new Error("a run journal change was made outside record()");
    this.events.push(requestEvent(this.ctx, type, subjectIds, data));
  }

  /** Outcomes and outputs of the steps before `position`, as `if:` and actions see them. */
  outcomes(position: number): ActionInput["steps"] {
    const seen: Record<string, { outcome: StepOutcome; outputs: Json }> = {};
    for (const s of this.steps.slice(0, position)) {
      if (s.status === "succeeded" || s.status === "failed" || s.status === "skipped") {
        seen[s.stepId] = { outcome: s.status, outputs: parse(s.outputs) };
      }
    }
    return seen;
  }

  /** The rows are still a draft of their creating transaction: changes go to them, written with them. */
  private get drafting(): boolean {
    return this.draft !== undefined && !this.draft.written;
  }

  /**
   * Changes the run's row in `tx`: on the draft when `tx` creates it (the run begins in its creating
   * transaction), else with one UPDATE by id — no read first: this replica holds the run's lease (the commit
   * is fenced), so the row is as loaded plus what this journal wrote.
   */
  private async updateRun(tx: EntityManager, fields: Partial<RunRow>) {
    if (this.drafting) {
      Object.assign(this.run, fields);
      return;
    }
    const fence = this.fence;
    if (!fence) {
      if (Object.keys(fields).length > 0) await updateWhere(tx, RunRow, { id: this.run.id }, fields);
      return;
    }
    this.fence = undefined;
    const held = await updateWhere(
      tx,
      RunRow,
      { id: this.run.id, leaseOwner: fence.owner },
      { leaseUntil: fence.until, ...fields },
    );
    if (held !== 1) throw new LeaseLost(this.run.id);
  }

  /** "run started" commits with the first thing the run does (one transaction fewer per run). */
  private markRunning(): Partial<RunRow> {
    if (this.marked) return {};
    this.marked = true;
    const fields: Partial<RunRow> = { status: "running", wakeAt: null };
    if (!this.run.startedAt) {
      fields.startedAt = this.now();
      this.emit("pipelines.run.started", this.ids, {
        runId: this.run.id,
        pipelineId: this.run.pipelineId,
        name: this.run.pipelineName,
        triggerId: this.run.triggerId,
      });
    }
    return fields;
  }

  private async settleStep(tx: EntityManager, position: number, fields: Partial<StepRow>) {
    const row = this.steps[position] as StepRow;
    if (!this.drafting) await updateWhere(tx, StepRow, { id: row.id }, fields);
    Object.assign(row, fields);
  }

  /** A step whose `if:` is false (skipped) or could not be evaluated (failed, `condition_error`). */
  async skip(tx: EntityManager, position: number, def: PipelineStep, conditionError?: string) {
    const running = this.markRunning();
    const stepIds = { ...this.ids, stepId: def.id };
    const failed = conditionError !== undefined;
    await this.updateRun(tx, { ...running, cursor: position + 1 });
    await this.settleStep(tx, position, {
      status: failed ? "failed" : "skipped",
      finishedAt: this.now(),
      ...(failed ? { errorCode: "condition_error", errorMessage: conditionError } : {}),
    });
    pipelineStepsTotal.inc({ uses: def.uses, outcome: failed ? "failed" : "skipped" });
    if (failed) {
      this.emit("pipelines.step.failed", stepIds, {
        runId: this.run.id,
        stepId: def.id,
        uses: def.uses,
        attempt: 0,
        errorCode: "condition_error",
        retryAt: null,
      });
    } else {
      this.emit("pipelines.step.skipped", stepIds, {
        runId: this.run.id,
        stepId: def.id,
        reason: "condition is false",
      });
    }
  }

  /**
   * A new attempt of a step. A "running" attempt left by a replica that died mid-step is marked abandoned:
   * it may or may not have acted, so the step runs again under the same idempotency key.
   */
  async startAttempt(
    tx: EntityManager,
    position: number,
    def: PipelineStep,
  ): Promise<{ id: string; number: number }> {
    await this.updateRun(tx, this.markRunning());
    const row = this.steps[position] as StepRow;
    const number = row.attempts + 1;
    const id = newId();
    // (a step never attempted has no attempt to abandon)
    if (row.attempts > 0) {
      await tx.nativeUpdate(
        AttemptRow,
        { stepRunId: row.id, status: "running" },
        { status: "abandoned", errorCode: "kernel_restarted", finishedAt: this.now() },
      );
    }
    await this.settleStep(tx, position, {
      status: "running",
      attempts: number,
      startedAt: row.startedAt ?? this.now(),
    });
    const attempt: AttemptRow = {
      id,
      stepRunId: row.id,
      number,
      status: "running",
      errorCode: "",
      errorMessage: "",
      startedAt: this.now(),
      finishedAt: null,
      nextRetryAt: null,
    };
    if (this.drafting) this.draft?.attempts.push(attempt);
    else await insertRows(tx, AttemptRow, [attempt]);
    if (number === 1 && position === 0) {
      pipelineTriggerToFirstStepSeconds.observe(
        { trigger: this.run.triggerUses },
        Math.max(0, (this.now().getTime() - this.run.firedAt.getTime()) / 1000),
      );
    }
    this.emit(
      "pipelines.step.started",
      { ...this.ids, stepId: def.id },
      {
        runId: this.run.id,
        stepId: def.id,
        uses: def.uses,
        attempt: number,
      },
    );
    return { id, number };
  }

  /** The attempt succeeded; after the last step the run's outcome commits in the same transaction. */
  async succeed(
    tx: EntityManager,
    position: number,
    def: PipelineStep,
    attempt: { id: string; number: number },
    outputs: Json,
  ) {
    const step: Partial<StepRow> = {
      status: "succeeded",
      finishedAt: this.now(),
      outputs: JSON.stringify(outputs ?? null),
      errorCode: "",
      errorMessage: "",
    };
    // the step as it will be, for the run's outcome; its rows are written after the run's (the fence)
    Object.assign(this.steps[position] as StepRow, step);
    pipelineStepsTotal.inc({ uses: def.uses, outcome: "succeeded" });
    this.emit(
      "pipelines.step.succeeded",
      { ...this.ids, stepId: def.id },
      {
        runId: this.run.id,
        stepId: def.id,
        uses: def.uses,
        attempt: attempt.number,
      },
    );
    // after the last step the cursor moves with the run's outcome (one UPDATE of the run)
    if (position === this.spec.steps.length - 1) await this.finishWithOutcome(tx, { cursor: position + 1 });
    else await this.updateRun(tx, { cursor: position + 1 });
    await updateWhere(tx, AttemptRow, { id: attempt.id }, { status: "succeeded", finishedAt: this.now() });
    await this.settleStep(tx, position, step);
  }

  /** The attempt failed: the step waits for `retryAt`, or failed for good. */
  async fail(
    tx: EntityManager,
    position: number,
    def: PipelineStep,
    attempt: { id: string; number: number },
    f: Failure,
    retryAt: Date | null,
  ) {
    // the run first (the fence): waiting for the retry, past the step, or (failed for good) as it is until
    // the caller finishes it
    if (retryAt) {
      await this.updateRun(tx, { status: "waiting", wakeAt: retryAt, leaseOwner: null, leaseUntil: null });
    } else await this.updateRun(tx, def.onFailure === "continue" ? { cursor: position + 1 } : {});
    await updateWhere(
      tx,
      AttemptRow,
      { id: attempt.id },
      {
        status: "failed",
        errorCode: f.code,
        errorMessage: f.message,
        finishedAt: this.now(),
        nextRetryAt: retryAt,
      },
    );
    await this.settleStep(tx, position, {
      errorCode: f.code.slice(0, 63),
      errorMessage: f.message,
      ...(retryAt ? { status: "waiting" } : { status: "failed", finishedAt: this.now() }),
    });
    pipelineStepsTotal.inc({ uses: def.uses, outcome: retryAt ? "retrying" : "failed" });
    this.emit(
      "pipelines.step.failed",
      { ...this.ids, stepId: def.id },
      {
        runId: this.run.id,
        stepId: def.id,
        uses: def.uses,
        attempt: attempt.number,
        errorCode: f.code,
        retryAt: retryAt?.toISOString() ?? null,
      },
    );
  }

  /** Ends the run: failed if any step failed (the first one names the error), else succeeded. */
  finishWithOutcome(tx: EntityManager, also: Partial<RunRow> = {}) {
    const failed = this.steps.find((x) => x.status === "failed");
    return this.finish(
      tx,
      failed?.errorCode ?? "",
      failed ? `step ${failed.stepId}: ${failed.errorMessage}` : "",
      also,
    );
  }

  async finish(tx: EntityManager, errorCode: string, errorMessage: string, also: Partial<RunRow> = {}) {
    const status = errorCode ? "failed" : "succeeded";
    await this.updateRun(tx, {
      ...also,
      status,
      errorCode: errorCode.slice(0, 63),
      errorMessage,
      finishedAt: this.now(),
      leaseOwner: null,
      leaseUntil: null,
      wakeAt: null,
    });
    Object.assign(this.run, { status });
    const base = { runId: this.run.id, pipelineId: this.run.pipelineId, name: this.run.pipelineName };
    pipelineRunsTotal.inc({ outcome: errorCode ? "failed" : "succeeded" });
    if (errorCode) this.emit("pipelines.run.failed", this.ids, { ...base, errorCode });
    else this.emit("pipelines.run.succeeded", this.ids, base);
  }

  get finished(): boolean {
    return this.run.status === "succeeded" || this.run.status === "failed";
  }
}
