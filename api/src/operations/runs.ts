import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, rateLimitResponses } from "../common.js";
import { defineOperation } from "../operation.js";
import { Scope } from "../scopes.js";
import { PipelineName } from "./pipelines.js";

// Pipeline runs, and everything that fires or steers a trigger: owner controls, the public webhook ingress and
// the signed check-in links of dead-man reminders.

const tag = "runs";
const RunId = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, "must be a run id");
const Label = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lowercase label");
const NameParams = z.strictObject({ name: PipelineName });
const TokenParams = z.strictObject({ token: z.string().min(10).max(3000) });

/** A run's states: queued, running, waiting (for a step's next attempt), then succeeded or failed. */
export const RunStatus = z
  .enum(["queued", "running", "waiting", "succeeded", "failed"])
  .meta({ id: "RunStatus" });
export type RunStatus = z.output<typeof RunStatus>;

export const RunAttempt = z
  .object({
    number: z.number().int(),
    status: z.string(),
    errorCode: z.string(),
    errorMessage: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    nextRetryAt: z.string().nullable(),
  })
  .meta({ id: "RunAttempt" });
export type RunAttempt = z.output<typeof RunAttempt>;

export const RunStep = z
  .object({
    stepId: z.string(),
    uses: z.string(),
    status: z.enum(["pending", "running", "waiting", "succeeded", "failed", "skipped"]),
    outputs: z.unknown(),
    errorCode: z.string(),
    errorMessage: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    attempts: z.array(RunAttempt),
    condition: z.string().meta({
      description:
        "The step's `if:` as written in the run's snapshot of the pipeline (\"\" = none): why a skipped step was skipped",
    }),
  })
  .meta({ id: "RunStep" });
export type RunStep = z.output<typeof RunStep>;

export const Run = z
  .object({
    id: z.string(),
    pipeline: z.string(),
    pipelineVersion: z.number().int(),
    trigger: z.object({ id: z.string(), uses: z.string(), kind: z.string(), payload: z.unknown() }),
    status: RunStatus,
    errorCode: z.string(),
    errorMessage: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    wakeAt: z.string().nullable(),
    steps: z.array(RunStep).optional().meta({ description: "Only when reading one run" }),
  })
  .meta({ id: "Run" });
export type Run = z.output<typeof Run>;

/** Whatever JSON the trigger answered (it may also answer with no body). */
export const TriggerAnswer = z.unknown().meta({
  id: "TriggerAnswer",
  description:
    "The trigger's own answer, e.g. `{ deadline, pausedUntil? }` from deadman@1, `{ accepted: true }` from webhook@1, `{ rotated, generation }` for rotate-links",
});
export type TriggerAnswer = z.output<typeof TriggerAnswer>;

/**
 * A trigger's refusal, in the error shape; its code is the trigger's own (`invalid_signature`,
 * `signature_expired`, `invalid_until`, `not_supported`, …) or one of the usual error codes.
 */
export const TriggerRefusal = z
  .object({
    error: z.object({
      code: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string(),
    }),
  })
  .meta({ id: "TriggerRefusal" });
export type TriggerRefusal = z.output<typeof TriggerRefusal>;

const notFound = { 404: { description: "No such pipeline or run", schema: ErrorBody } } as const;

const RunsQuery = z.strictObject({
  cursor: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  status: RunStatus.optional().meta({ description: "Only runs in this state" }),
});
const RunPage = z.object({ items: z.array(Run), nextCursor: z.string().nullable() }).meta({ id: "RunPage" });

export const TriggerTimer = z.object({ key: z.string(), at: z.iso.datetime() }).meta({
  id: "TriggerTimer",
  description: "A durable timer the trigger set (e.g. `deadline`, `remind:7d`, `tick`)",
});

export const PipelineTrigger = z
  .object({
    id: z.string(),
    uses: z.string(),
    config: z.unknown().meta({ description: "The trigger's `with` as written" }),
    timers: z.array(TriggerTimer).meta({ description: "Pending timers, soonest first" }),
    status: z.unknown().meta({
      description:
        "What the trigger says of itself (null: nothing to show). deadman@1: `{ deadline, periodStart, lastCheckInAt?, paused, pausedUntil?, fired, ladder: [{ entry, at, sent }] }`; cron@1: `{ next: [instants], lastFiredFor? }`; schedule@1: `{ at, fired, firedAt? }`",
    }),
    hookUrl: z
      .string()
      .nullable()
      .meta({ description: "Where to send webhook requests (webhook@1 triggers), else null" }),
  })
  .meta({ id: "PipelineTrigger" });
export type PipelineTrigger = z.output<typeof PipelineTrigger>;

export const startPipelineRun = defineOperation({
  method: "post",
  path: "/api/v1/pipelines/:name/runs",
  operationId: "startPipelineRun",
  summary: "Run a pipeline now (it needs a manual@1 trigger); the payload becomes trigger.payload.payload",
  tag,
  access: { kind: "user", scope: Scope.PipelinesRun, resource: { type: "pipeline", param: "name" } },
  params: NameParams,
  body: z.strictObject({ payload: z.unknown().optional() }).meta({ id: "StartPipelineRun" }),
  responses: {
    202: { description: "Queued; poll the run for its progress", schema: Run },
    ...notFound,
    409: {
      description:
        "The pipeline is disabled or has no manual@1 trigger (conflict), or the capability is not installed or disabled (capability_unavailable)",
      schema: ErrorBody,
    },
    ...errorResponses,
    422: {
      description: "Invalid body, or a payload that does not match the trigger's payloadSchema",
      schema: ErrorBody,
    },
    ...bodyErrorResponses,
  },
});

export const listPipelineRuns = defineOperation({
  method: "get",
  path: "/api/v1/pipelines/:name/runs",
  operationId: "listPipelineRuns",
  summary: "Runs of a pipeline, newest first (trigger payloads only come with one run)",
  tag,
  access: { kind: "user", scope: Scope.PipelinesWrite, resource: { type: "pipeline", param: "name" } },
  params: NameParams,
  query: RunsQuery,
  responses: { 200: { description: "A page of runs", schema: RunPage }, ...notFound, ...errorResponses },
});

export const listRuns = defineOperation({
  method: "get",
  path: "/api/v1/runs",
  operationId: "listRuns",
  summary:
    "Runs of every pipeline the caller may read, newest first (e.g. `?status=failed` to find what went wrong)",
  tag,
  access: { kind: "user", scope: Scope.PipelinesWrite },
  restrictable: true,
  query: RunsQuery,
  responses: { 200: { description: "A page of runs", schema: RunPage }, ...errorResponses },
});

export const getPipelineRun = defineOperation({
  method: "get",
  path: "/api/v1/pipelines/:name/runs/:runId",
  operationId: "getPipelineRun",
  summary: "One run with its steps, attempts, outputs and errors",
  tag,
  access: { kind: "user", scope: Scope.PipelinesWrite, resource: { type: "pipeline", param: "name" } },
  params: z.strictObject({ name: PipelineName, runId: RunId }),
  responses: { 200: { description: "The run", schema: Run }, ...notFound, ...errorResponses },
});

export const listPipelineTriggers = defineOperation({
  method: "get",
  path: "/api/v1/pipelines/:name/triggers",
  operationId: "listPipelineTriggers",
  summary:
    "Each trigger of a pipeline as it stands: its config, pending timers, and its status (a dead-man switch's deadline and reminders, a cron's next fire times)",
  tag,
  access: { kind: "user", scope: Scope.PipelinesWrite, resource: { type: "pipeline", param: "name" } },
  params: NameParams,
  responses: {
    200: {
      description: "The triggers, in the order the pipeline lists them",
      schema: z
        .object({
          enabled: z.boolean().meta({ description: "A disabled pipeline's triggers are not armed" }),
          items: z.array(PipelineTrigger),
        })
        .meta({ id: "PipelineTriggers" }),
    },
    404: { description: "No such pipeline", schema: ErrorBody },
    ...errorResponses,
  },
});

export const controlTrigger = defineOperation({
  method: "post",
  path: "/api/v1/pipelines/:name/triggers/:trigger/:action",
  operationId: "controlTrigger",
  summary:
    "Act on a trigger (needs pipelines:write, like editing it): check-in (dead-man), pause (until a date), resume, rotate-links (revokes every check-in link handed out so far)",
  tag,
  access: { kind: "user", scope: Scope.PipelinesWrite, resource: { type: "pipeline", param: "name" } },
  params: z.strictObject({
    name: PipelineName,
    trigger: Label,
    action: z.enum(["check-in", "pause", "resume", "rotate-links"]),
  }),
  body: z.strictObject({ until: z.iso.datetime({ offset: true }).optional() }).meta({ id: "ControlTrigger" }),
  responses: {
    200: {
      description: "What the trigger answered (e.g. the new deadline); a trigger may pick another 2xx",
      schema: TriggerAnswer,
    },
    ...errorResponses,
    400: {
      description: "Malformed request, or refused by the trigger (e.g. invalid_until)",
      schema: TriggerRefusal,
    },
    404: { description: "No such pipeline or trigger", schema: ErrorBody },
    405: { description: "The trigger does not take this action (not_supported)", schema: TriggerRefusal },
    409: {
      description:
        "The pipeline is disabled, its trigger's capability is unavailable (capability_unavailable), or the trigger refused (e.g. paused_by_config)",
      schema: TriggerRefusal,
    },
    ...bodyErrorResponses,
  },
});

export const deliverWebhook = defineOperation({
  method: "post",
  path: "/hooks/:pipeline/:trigger",
  operationId: "deliverWebhook",
  summary:
    "Webhook ingress: the trigger checks the signature (X-Latchflow-Timestamp, X-Latchflow-Signature) over the raw body, any media type",
  description:
    "The body is passed to the webhook trigger as sent (any media type, at most the gateway's body limit); the trigger verifies its signature over those exact bytes.",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  bodyTypes: ["binary"],
  params: z.strictObject({ pipeline: PipelineName, trigger: Label }),
  responses: {
    202: {
      description: "Accepted: the pipeline fires (a trigger may pick another 2xx)",
      schema: TriggerAnswer,
    },
    400: { description: "Refused by the trigger", schema: TriggerRefusal },
    401: {
      description:
        "Missing, wrong, expired or replayed signature; also the answer (invalid_signature) for a pipeline or trigger that does not exist or takes no webhooks, so names cannot be probed",
      schema: TriggerRefusal,
    },
    409: {
      description: "The trigger's capability is not installed or disabled (capability_unavailable)",
      schema: TriggerRefusal,
    },
    413: { description: "Body too large", schema: TriggerRefusal },
    422: errorResponses[422],
    429: {
      description: "Too many requests (from this IP, or inside the trigger's replay window)",
      schema: TriggerRefusal,
    },
    500: { description: "The trigger is not configured (e.g. secret_missing)", schema: TriggerRefusal },
  },
});

export const showCheckInPage = defineOperation({
  method: "get",
  path: "/checkin/:token",
  operationId: "showCheckInPage",
  summary: "The page a dead-man reminder links to: a button that checks in (GET alone changes nothing)",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  params: TokenParams,
  responses: {
    200: { description: "The check-in page", media: "text/html" },
    404: { description: "Invalid or expired link", media: "text/html" },
    422: errorResponses[422],
    ...rateLimitResponses,
  },
});

export const checkInByLink = defineOperation({
  method: "post",
  path: "/checkin/:token",
  operationId: "checkInByLink",
  summary: "Check in through a signed reminder link (the page's form posts here)",
  description:
    "The reminder page's form posts here with no fields; the signed token in the path is the whole proof. A JSON body (`{}`) is accepted for scripts.",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  params: TokenParams,
  bodyTypes: ["form", "json"],
  responses: {
    200: { description: "Checked in: the page names the next deadline", media: "text/html" },
    404: { description: "Invalid or expired link", media: "text/html" },
    409: {
      description:
        "The pipeline is disabled, or its trigger's capability is unavailable (capability_unavailable)",
      schema: ErrorBody,
    },
    422: errorResponses[422],
    ...rateLimitResponses,
  },
});
