import type { PluginHost } from "@latchflow/plugin-host";
import type { TriggerEvent, TriggerInput, TriggerResult } from "@latchflow/plugin-sdk";
import {
  ARM_KEY,
  fireOf,
  MAX_FIRES,
  readTriggerResult,
  STATUS_DEADLINE_MS,
  TRIGGER_DEADLINE_MS,
  TriggerResultError,
  triggerInputOf,
} from "@latchflow/plugin-sdk/invocation";
import { ErrorCode, LatchflowError, type Logger, newId, type RequestContext } from "@latchflow/runtime";
import type { Database, EntityManager, OutboxRelay } from "@latchflow/runtime/db";
import type { HostCapabilities, Json, JsonObject } from "@latchflow/sandbox";
import { type PipelineDocument, type PipelineTrigger, parseDuration } from "@latchflow/spec";
import type { PipelineRow } from "../pipelines/entities.js";
import { type HostDeps, hostCapabilities } from "../plugins/host-capabilities.js";
import { KvOverlay } from "../plugins/kv.js";
import type { Registry } from "../plugins/registry.js";
import { createRun } from "../runs/create-run.js";
import { TimerRow } from "../runs/entities.js";
import type { Begun, Executor } from "../runs/executor.js";
import type { LinkSigner } from "./links.js";

/** The timer key of the job that (re)computes a trigger's timers after a save or enable. */
export { ARM_KEY };

const HOUR_MS = 3_600_000;
/** A check-in link lives as long as one dead-man period and its grace (clamped): after that it is moot. */
const LINK_MIN_MS = HOUR_MS;
const LINK_MAX_MS = 60 * 24 * HOUR_MS;
/** for triggers without a period (`checkInEvery`) */
const LINK_DEFAULT_MS = 7 * 24 * HOUR_MS;

/** How long a check-in link signed now stays valid: `checkInEvery` + `grace` of the trigger, in [1h, 60d]. */
export function linkLifetimeMs(config: JsonObject): number {
  const ms = (v: unknown) => {
    const d = typeof v === "string" ? parseDuration(v) : undefined;
    return d?.ok ? d.ms : 0;
  };
  const period = ms(config.checkInEvery);
  if (period === 0) return LINK_DEFAULT_MS;
  return Math.min(LINK_MAX_MS, Math.max(LINK_MIN_MS, period + ms(config.grace)));
}

export interface TriggerRunnerDeps {
  db: Database;
  relay: OutboxRelay;
  registry: Registry;
  host: PluginHost;
  hostDeps: HostDeps;
  links: LinkSigner;
  now: () => Date;
  replicaId: string;
  leaseMs: number;
  publicUrl: () => string;
  owner: (pipeline: PipelineRow, ctx: RequestContext) => Promise<{ id: string; email: string }>;
  logger: Logger;
  /** in the transaction that creates a run: starts its first step with it (see `Executor.begin`) */
  begin: Executor["begin"];
  /** called with the runs an invocation created, after its commit */
  started: (runs: StartedRun[]) => void;
}

/** A run an invocation created, and what `begin` started with it. */
export interface StartedRun {
  id: string;
  begun: Begun | undefined;
}

export interface TriggerCall {
  pipeline: PipelineRow;
  triggerId: string;
  event: TriggerEvent;
  ctx: RequestContext;
  /** the timer being consumed (claimed by this replica) */
  timer?: TimerRow;
}

export interface TriggerOutcome {
  response?: { status: number; body?: Json };
  runIds: string[];
}

/** What a trigger's `run` returned, checked by the one reader (a refused answer fails `internal`). */
function checkResult(value: Json): TriggerResult {
  try {
    return readTriggerResult(value);
  } catch (err) {
    if (err instanceof TriggerResultError) throw new LatchflowError(ErrorCode.Internal, err.message);
    throw err;
  }
}

/** What a trigger plugin is invoked with. */
function inputOf(call: TriggerCall, ownerEmail: string, now: Date, checkInLink: string): TriggerInput {
  const trigger = triggerOf(call.pipeline, call.triggerId);
  return triggerInputOf({
    event: call.event,
    config: (trigger.with ?? {}) as JsonObject,
    now,
    pipeline: { name: call.pipeline.name, version: call.pipeline.version, ownerEmail },
    trigger: { id: call.triggerId, uses: trigger.uses },
    checkInLink,
  });
}

export function triggerOf(pipeline: PipelineRow, triggerId: string): PipelineTrigger {
  const doc = JSON.parse(pipeline.parsed) as PipelineDocument;
  const t = doc.spec.triggers.find((x) => x.id === triggerId);
  if (!t)
    throw new LatchflowError(ErrorCode.NotFound, "Trigger not found", { details: { trigger: triggerId } });
  return t;
}

/** Replaces the pending timers of every trigger of a pipeline by one arm job each (or none when disabled). */
export async function rearmTimers(em: EntityManager, pipeline: PipelineRow, now: Date): Promise<void> {
  await em.nativeDelete(TimerRow, { pipelineId: pipeline.id });
  if (!pipeline.enabled) return;
  const doc = JSON.parse(pipeline.parsed) as PipelineDocument;
  for (const t of doc.spec.triggers) {
    em.create(TimerRow, {
      id: newId(),
      tenant: pipeline.tenant,
      pipelineId: pipeline.id,
      triggerId: t.id,
      key: ARM_KEY,
      dueAt: now,
      leaseOwner: null,
      leaseUntil: null,
      createdAt: now,
    });
  }
}

/**
 * Invokes a trigger plugin for one event and commits, in ONE transaction, everything the invocation decided:
 * the consumed timer, its new timers, its kv writes and a run per `emit`. A crash before the commit loses all
 * of it together (the timer is still there and fires again), so a one-time date fires exactly once.
 * Invocations of the same trigger are serialized in this replica; across replicas a kv conflict retries.
 */
export function createTriggerRunner(deps: TriggerRunnerDeps) {
  const queues = new Map<string, Promise<unknown>>();

  const serialized = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const prev = queues.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    queues.set(key, next);
    void next
      .finally(() => {
        if (queues.get(key) === next) queues.delete(key);
      })
      .catch(() => undefined);
    return next;
  };

  async function once(call: TriggerCall): Promise<TriggerOutcome | "conflict"> {
    const { pipeline, triggerId } = call;
    const trigger = triggerOf(pipeline, triggerId);
    const entry = await deps.registry.resolve(pipeline.tenant, trigger.uses);
    if (entry.kind !== "trigger")
      throw new LatchflowError(ErrorCode.ValidationFailed, `${trigger.uses} is not a trigger`);
    const owner = await deps.owner(pipeline, call.ctx);
    const config = (trigger.with ?? {}) as JsonObject;
    const kv = new KvOverlay(deps.db, {
      tenant: pipeline.tenant,
      plugin: entry.pluginName,
      scope: `${pipeline.id}/${triggerId}`,
    });
    const emits: Json[] = [];
    const now = deps.now();
    const token = await deps.links.sign({
      tenant: pipeline.tenant,
      pipelineId: pipeline.id,
      triggerId,
      action: "check-in",
      exp: Math.floor((now.getTime() + linkLifetimeMs(config)) / 1000),
    });
    const input = inputOf(call, owner.email, now, `${deps.publicUrl()}/checkin/${token}`);
    const caps = hostCapabilities(deps.hostDeps, {
      tenant: pipeline.tenant,
      entry,
      site: `${pipeline.id}/${triggerId}`,
      ctx: call.ctx,
      kv,
      emits,
    });
    const raw = await deps.host.invoke(entry.hostName, entry.exportName, input, caps, {
      deadlineMs: TRIGGER_DEADLINE_MS,
      requestId: call.ctx.requestId,
    });
    const result = checkResult(raw);
    if (emits.length > MAX_FIRES) {
      deps.logger.warn(
        { pipeline: pipeline.name, trigger: triggerId, emitted: emits.length, kept: MAX_FIRES },
        "a trigger fired more runs in one invocation than allowed; the rest were dropped",
      );
    }
    const fires = emits.slice(0, MAX_FIRES).map(fireOf);
    const runIds: string[] = [];
    const started: StartedRun[] = [];
    let conflict = false;
    await deps.db
      .em()
      .transactional(async (tx) => {
        const at = deps.now();
        if (call.timer) {
          const gone = await tx.nativeDelete(TimerRow, { id: call.timer.id, leaseOwner: deps.replicaId });
          if (gone === 0) {
            conflict = true; // another replica took the timer over: its invocation counts, not ours
            return;
          }
        }
        if (!(await kv.commit(tx, at))) {
          conflict = true;
          throw new LatchflowError(ErrorCode.Conflict, "trigger state changed concurrently");
        }
        if (result.timers) {
          await tx.nativeDelete(TimerRow, { pipelineId: pipeline.id, triggerId, key: { $ne: ARM_KEY } });
          for (const t of result.timers) {
            tx.create(TimerRow, {
              id: newId(),
              tenant: pipeline.tenant,
              pipelineId: pipeline.id,
              triggerId,
              key: t.key,
              dueAt: new Date(t.at),
              leaseOwner: null,
              leaseUntil: null,
              createdAt: at,
            });
          }
        }
        for (const fire of fires) {
          const { created, prepared } = await createRun(
            tx,
            {
              tenant: pipeline.tenant,
              pipeline,
              owner,
              triggerId,
              triggerUses: trigger.uses,
              kind: fire.kind,
              payload: fire.payload,
              firedAt: at,
              leaseOwner: deps.replicaId,
              leaseUntil: new Date(at.getTime() + deps.leaseMs),
              requestId: call.ctx.requestId,
            },
            (c) => deps.begin(tx, c),
          );
          runIds.push(created.run.id);
          started.push({ id: created.run.id, begun: prepared });
        }
      })
      .catch((err) => {
        if (!conflict) throw err;
      });
    if (conflict) return "conflict";
    deps.relay.nudge();
    if (started.length > 0) deps.started(started);
    return { ...(result.response ? { response: result.response } : {}), runIds };
  }

  /**
   * What the trigger says of itself (a `status` event), or undefined when it has nothing to say. Read-only: its
   * kv writes, timers and emits are dropped, and it gets no mail, fetch, grants or links.
   */
  async function status(
    pipeline: PipelineRow,
    triggerId: string,
    ctx: RequestContext,
  ): Promise<Json | undefined> {
    const trigger = triggerOf(pipeline, triggerId);
    const entry = await deps.registry.resolve(pipeline.tenant, trigger.uses);
    if (entry.kind !== "trigger") return undefined;
    const owner = await deps.owner(pipeline, ctx);
    const site = `${pipeline.id}/${triggerId}`;
    const kv = new KvOverlay(deps.db, { tenant: pipeline.tenant, plugin: entry.pluginName, scope: site });
    const all = hostCapabilities(deps.hostDeps, { tenant: pipeline.tenant, entry, site, ctx, kv, emits: [] });
    const caps: HostCapabilities = {
      ...(all.log ? { log: all.log } : {}),
      ...(all.kv ? { kv: all.kv } : {}),
      ...(all.emit ? { emit: all.emit } : {}),
    };
    // no check-in link: a status call hands nothing out
    const input = inputOf(
      { pipeline, triggerId, ctx, event: { type: "status" } },
      owner.email,
      deps.now(),
      "",
    );
    const raw = await deps.host.invoke(entry.hostName, entry.exportName, input, caps, {
      deadlineMs: STATUS_DEADLINE_MS,
      requestId: ctx.requestId,
    });
    const res = checkResult(raw).response;
    return res && res.status < 300 ? res.body : undefined;
  }

  return {
    status,
    /** Runs the invocation (retrying once on a concurrent kv change). */
    invoke(call: TriggerCall): Promise<TriggerOutcome> {
      return serialized(`${call.pipeline.id}/${call.triggerId}`, async () => {
        for (let i = 0; i < 3; i++) {
          const out = await once(call);
          if (out !== "conflict") return out;
          if (call.timer) return { runIds: [] };
        }
        throw new LatchflowError(ErrorCode.Unavailable, "The trigger is busy; try again", {
          retryable: true,
        });
      });
    },
  };
}

export type TriggerRunner = ReturnType<typeof createTriggerRunner>;
