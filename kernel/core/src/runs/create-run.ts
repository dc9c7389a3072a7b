import { CallerKind, type EntityManager, emitEvent, newId, type RequestContext } from "@latchflow/runtime";
import type { Json } from "@latchflow/sandbox";
import type { PipelineDocument, PipelineStep } from "@latchflow/spec";
import type { PipelineRow } from "../pipelines/entities.js";
import { RunRow, StepRow } from "./entities.js";

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

export interface CreatedRun {
  run: RunRow;
  /** its steps, in order */
  steps: StepRow[];
}

/** Inserts a queued run and its pending steps in `em`'s transaction, with the `trigger.fired` event. */
export function createRun(em: EntityManager, n: NewRun): CreatedRun {
  const doc = JSON.parse(n.pipeline.parsed) as PipelineDocument;
  const spec: RunSpec = { steps: doc.spec.steps, ownerId: n.owner.id, ownerEmail: n.owner.email };
  const run = em.create(RunRow, {
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
  });
  const steps = doc.spec.steps.map((step, position) =>
    em.create(StepRow, {
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
    }),
  );
  emitEvent(
    em,
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
  return { run, steps };
}
