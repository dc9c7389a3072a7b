import { defineMigration } from "@latchflow/runtime/db";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

const ts = { useTz: true, precision: 3 } as const;

/**
 * One execution of a pipeline. The steps it runs are a snapshot of the pipeline version that fired
 * (`spec`), so editing a pipeline never changes a run in flight. A run is executed by the kernel replica
 * holding its lease; a run whose lease expired (the replica died) is taken over by another.
 */
export const RunRow = defineEntity({
  name: "RunRow",
  tableName: "pipeline_runs",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    pipelineId: p.string().length(26).fieldName("pipeline_id"),
    pipelineName: p.string().length(63).fieldName("pipeline_name"),
    pipelineVersion: p.integer().fieldName("pipeline_version"),
    /** JSON: { steps, ownerEmail } */
    spec: p.text(),
    triggerId: p.string().length(63).fieldName("trigger_id"),
    triggerUses: p.string().length(200).fieldName("trigger_uses"),
    triggerKind: p.string().length(63).fieldName("trigger_kind"),
    triggerPayload: p.text().fieldName("trigger_payload"),
    firedAt: p.datetime().fieldName("fired_at"),
    /** queued | running | waiting | succeeded | failed */
    status: p.string().length(16),
    /** index of the next step to run */
    cursor: p.integer(),
    errorCode: p.string().length(63).default("").fieldName("error_code"),
    errorMessage: p.text().default("").fieldName("error_message"),
    wakeAt: p.datetime().nullable().fieldName("wake_at"),
    leaseOwner: p.string().length(64).nullable().fieldName("lease_owner"),
    leaseUntil: p.datetime().nullable().fieldName("lease_until"),
    requestId: p.string().length(64).default("").fieldName("request_id"),
    createdAt: p.datetime().fieldName("created_at"),
    startedAt: p.datetime().nullable().fieldName("started_at"),
    finishedAt: p.datetime().nullable().fieldName("finished_at"),
  },
});
export type RunRow = InferEntity<typeof RunRow>;

/** One step of a run: its latest state; every attempt is a `AttemptRow`. */
export const StepRow = defineEntity({
  name: "StepRow",
  tableName: "pipeline_step_runs",
  properties: {
    id: p.string().primary().length(26),
    runId: p.string().length(26).fieldName("run_id"),
    position: p.integer(),
    stepId: p.string().length(63).fieldName("step_id"),
    uses: p.string().length(200),
    /** pending | running | waiting | succeeded | failed | skipped */
    status: p.string().length(16),
    attempts: p.integer(),
    outputs: p.text().default("null"),
    errorCode: p.string().length(63).default("").fieldName("error_code"),
    errorMessage: p.text().default("").fieldName("error_message"),
    startedAt: p.datetime().nullable().fieldName("started_at"),
    finishedAt: p.datetime().nullable().fieldName("finished_at"),
  },
});
export type StepRow = InferEntity<typeof StepRow>;

export const AttemptRow = defineEntity({
  name: "AttemptRow",
  tableName: "pipeline_step_attempts",
  properties: {
    id: p.string().primary().length(26),
    stepRunId: p.string().length(26).fieldName("step_run_id"),
    number: p.integer(),
    /** running | succeeded | failed | abandoned */
    status: p.string().length(16),
    errorCode: p.string().length(63).default("").fieldName("error_code"),
    errorMessage: p.text().default("").fieldName("error_message"),
    startedAt: p.datetime().fieldName("started_at"),
    finishedAt: p.datetime().nullable().fieldName("finished_at"),
    nextRetryAt: p.datetime().nullable().fieldName("next_retry_at"),
  },
});
export type AttemptRow = InferEntity<typeof AttemptRow>;

/**
 * A durable timer of a trigger: cron ticks, one-time dates, dead-man reminders and deadlines, and the
 * "arm" job written when a pipeline is saved or enabled. Claimed by lease, consumed in the same
 * transaction that records what its invocation did.
 */
export const TimerRow = defineEntity({
  name: "TimerRow",
  tableName: "trigger_timers",
  uniques: [{ properties: ["pipelineId", "triggerId", "key"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    pipelineId: p.string().length(26).fieldName("pipeline_id"),
    triggerId: p.string().length(63).fieldName("trigger_id"),
    key: p.string().length(200),
    dueAt: p.datetime().fieldName("due_at"),
    leaseOwner: p.string().length(64).nullable().fieldName("lease_owner"),
    leaseUntil: p.datetime().nullable().fieldName("lease_until"),
    createdAt: p.datetime().fieldName("created_at"),
  },
});
export type TimerRow = InferEntity<typeof TimerRow>;

/** Plugin key-value state, per (tenant, plugin, scope); scope = `<pipelineId>/<triggerOrStepId>`. */
export const KvRow = defineEntity({
  name: "KvRow",
  tableName: "plugin_kv",
  uniques: [{ properties: ["tenant", "plugin", "scope", "key"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    plugin: p.string().length(214),
    scope: p.string().length(200),
    key: p.string().length(200),
    value: p.text(),
    version: p.integer(),
    updatedAt: p.datetime().fieldName("updated_at"),
  },
});
export type KvRow = InferEntity<typeof KvRow>;

/** Results of side-effecting host calls by idempotency key, so a retried step does not act twice. */
export const HostCallRow = defineEntity({
  name: "HostCallRow",
  tableName: "host_calls",
  uniques: [{ properties: ["tenant", "key"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    key: p.string().length(500),
    /** done (rows written before ADR 047 may say pending: not done, the call acts again) */
    state: p.string().length(16),
    result: p.text().default("null"),
    createdAt: p.datetime().fieldName("created_at"),
  },
});
export type HostCallRow = InferEntity<typeof HostCallRow>;

export const runsMigration = defineMigration("0002-runs-and-timers", (schema) =>
  schema
    .createTable("pipeline_runs", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("pipeline_id", 26).notNullable();
      t.string("pipeline_name", 63).notNullable();
      t.integer("pipeline_version").notNullable();
      t.text("spec").notNullable();
      t.string("trigger_id", 63).notNullable();
      t.string("trigger_uses", 200).notNullable();
      t.string("trigger_kind", 63).notNullable();
      t.text("trigger_payload").notNullable();
      t.datetime("fired_at", ts).notNullable();
      t.string("status", 16).notNullable();
      t.integer("cursor").notNullable();
      t.string("error_code", 63).notNullable().defaultTo("");
      t.text("error_message").notNullable().defaultTo("");
      t.datetime("wake_at", ts).nullable();
      t.string("lease_owner", 64).nullable();
      t.datetime("lease_until", ts).nullable();
      t.string("request_id", 64).notNullable().defaultTo("");
      t.datetime("created_at", ts).notNullable();
      t.datetime("started_at", ts).nullable();
      t.datetime("finished_at", ts).nullable();
      t.index(["tenant", "pipeline_id", "id"], "pipeline_runs_pipeline_idx");
      t.index(["status", "lease_until"], "pipeline_runs_claim_idx");
    })
    .createTable("pipeline_step_runs", (t) => {
      t.string("id", 26).primary();
      t.string("run_id", 26).notNullable();
      t.integer("position").notNullable();
      t.string("step_id", 63).notNullable();
      t.string("uses", 200).notNullable();
      t.string("status", 16).notNullable();
      t.integer("attempts").notNullable();
      t.text("outputs").notNullable().defaultTo("null");
      t.string("error_code", 63).notNullable().defaultTo("");
      t.text("error_message").notNullable().defaultTo("");
      t.datetime("started_at", ts).nullable();
      t.datetime("finished_at", ts).nullable();
      t.unique(["run_id", "step_id"], { indexName: "pipeline_step_runs_uniq" });
    })
    .createTable("pipeline_step_attempts", (t) => {
      t.string("id", 26).primary();
      t.string("step_run_id", 26).notNullable();
      t.integer("number").notNullable();
      t.string("status", 16).notNullable();
      t.string("error_code", 63).notNullable().defaultTo("");
      t.text("error_message").notNullable().defaultTo("");
      t.datetime("started_at", ts).notNullable();
      t.datetime("finished_at", ts).nullable();
      t.datetime("next_retry_at", ts).nullable();
      t.unique(["step_run_id", "number"], { indexName: "pipeline_step_attempts_uniq" });
    })
    .createTable("trigger_timers", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("pipeline_id", 26).notNullable();
      t.string("trigger_id", 63).notNullable();
      t.string("key", 200).notNullable();
      t.datetime("due_at", ts).notNullable();
      t.string("lease_owner", 64).nullable();
      t.datetime("lease_until", ts).nullable();
      t.datetime("created_at", ts).notNullable();
      t.unique(["pipeline_id", "trigger_id", "key"], { indexName: "trigger_timers_uniq" });
      t.index(["due_at"], "trigger_timers_due_idx");
    })
    .createTable("plugin_kv", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("plugin", 214).notNullable();
      t.string("scope", 200).notNullable();
      t.string("key", 200).notNullable();
      t.text("value").notNullable();
      t.integer("version").notNullable();
      t.datetime("updated_at", ts).notNullable();
      t.unique(["tenant", "plugin", "scope", "key"], { indexName: "plugin_kv_uniq" });
    })
    .createTable("host_calls", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("key", 500).notNullable();
      t.string("state", 16).notNullable();
      t.text("result").notNullable().defaultTo("null");
      t.datetime("created_at", ts).notNullable();
      t.unique(["tenant", "key"], { indexName: "host_calls_uniq" });
    }),
);
