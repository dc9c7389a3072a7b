import type { EventEnvelope } from "@latchflow/bus";
import { CallerKind, newId, type RequestContext } from "@latchflow/runtime";
import { type EntityManager, insertEvents, insertRows, requestEvent } from "@latchflow/runtime/db";
import type { Json } from "@latchflow/sandbox";
import type { PipelineDocument, PipelineStep } from "@latchflow/spec";
import type { PipelineRow } from "../pipelines/entities.js";
import { AttemptRow, RunRow, StepRow } from "./entities.js";

/** What a run executes: a snapshot taken when the trigger fired. */
export interface RunSpec {
  steps: PipelineStep[];
  ownerId: string;
  ownerEmail: string;
}

export interface NewRun {
  tenant: string;
  pipeline: PipelineRow;
  owner: { id: string; email: string };
  triggerId: string;
  triggerUses: string;
  kind: string;
  payload: Json;
  firedAt: Date;
  /** the replica that will execute it at once */
  leaseOwner: string;
  leaseUntil: Date;
  requestId: string;
  /** who made it fire (a manual run: the user); default: the run itself */
  actor?: RequestContext;
}

/** The context a run acts in: its events name the run as actor; service calls carry the owner. */
export function runContext(
  run: Pick<RunRow, "id" | "tenant" | "requestId">,
  ownerId: string,
): RequestContext {
  return {
    requestId: run.requestId || run.id,
    tenant: run.tenant,
    caller: { kind: CallerKind.PipelineRun, id: run.id, userId: ownerId },
  };
}

/** Rows of a run its creating transaction has not written yet: changes are made to them in memory. */
export interface Draft {
  /** attempts started on the draft, inserted with it */
  attempts: AttemptRow[];
  /** events of the changes made to the draft, inserted with `trigger.fired` */
  events: EventEnvelope[];
  written: boolean;
}

export interface CreatedRun {
  run: RunRow;
  /** its steps, in order */
  steps: StepRow[];
  draft: Draft;
}

/**
 * Creates a queued run and its pending steps in `tx`'s transaction, with the `trigger.fired` event.
 * `prepare` sees the rows before they are written (the executor starts the first attempt on them), then
 * the run, its steps, the attempts started and the events (`trigger.fired`, then those of the changes) are
 * inserted as they ended up: one bound INSERT per table, no unit of work.
 */
export async function createRun<T>(
  tx: EntityManager,
  n: NewRun,
  prepare: (created: CreatedRun) => Promise<T>,
): Promise<{ created: CreatedRun; prepared: T }> {
  const doc = JSON.parse(n.pipeline.parsed) as PipelineDocument;
  const spec: RunSpec = { steps: doc.spec.steps, ownerId: n.owner.id, ownerEmail: n.owner.email };
  const run: RunRow = {
    id: newId(),
    tenant: n.tenant,
    pipelineId: n.pipeline.id,
    pipelineName: n.pipeline.name,
    pipelineVersion: n.pipeline.version,
    spec: JSON.stringify(spec),
    triggerId: n.triggerId,
    triggerUses: n.triggerUses,
    triggerKind: n.kind.slice(0, 63),
    triggerPayload: JSON.stringify(n.payload ?? {}),
    firedAt: n.firedAt,
    status: "queued",
    cursor: 0,
    errorCode: "",
    errorMessage: "",
    wakeAt: null,
    leaseOwner: n.leaseOwner,
    leaseUntil: n.leaseUntil,
    requestId: n.requestId.slice(0, 64),
    createdAt: n.firedAt,
    startedAt: null,
    finishedAt: null,
  };
  const steps: StepRow[] = doc.spec.steps.map((step, position) => ({
    id: newId(),
    runId: run.id,
    position,
    stepId: step.id,
    uses: step.uses,
    status: "pending",
    attempts: 0,
    outputs: "null",
    errorCode: "",
    errorMessage: "",
    startedAt: null,
    finishedAt: null,
  }));
  const fired = requestEvent(
    n.actor ?? runContext(run, n.owner.id),
    "pipelines.trigger.fired",
    { pipelineId: n.pipeline.id, runId: run.id, triggerId: n.triggerId },
    {
      pipelineId: n.pipeline.id,
      name: n.pipeline.name,
      triggerId: n.triggerId,
      kind: run.triggerKind,
      runId: run.id,
    },
  );
  const created: CreatedRun = { run, steps, draft: { attempts: [], events: [], written: false } };
  const prepared = await prepare(created);
  await insertRows(tx, RunRow, [run]);
  await insertRows(tx, StepRow, steps);
  await insertRows(tx, AttemptRow, created.draft.attempts);
  await insertEvents(tx, [fired, ...created.draft.events]);
  created.draft.written = true;
  return { created, prepared };
}
