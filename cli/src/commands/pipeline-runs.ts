// `latchflow pipelines run|runs|logs|check-in`: starting runs (manual@1), reading them step by step, and
// checking in to a dead-man trigger (@latchflow/api's runs area). Exported into the pipelines group.
import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";
import { z } from "zod";
import { type ApiClient, type Context, contract, defineCommand, shape } from "./command.js";
import { CliError, ExitCode, usageError } from "./exit-codes.js";
import type { Output } from "./output.js";
import { sleep } from "./poll.js";
import { pageOrAll } from "./resolve.js";

const ENDED = new Set(["succeeded", "failed"]);
const nameArg = { name: "NAME", required: true } as const;

const followOptions = {
  follow: {
    type: "boolean",
    short: "F",
    description: "poll until the run ends, printing each change; exit 1 when the run failed",
  },
  interval: {
    type: "string",
    value: "SECONDS",
    description: "with --follow, seconds between polls (default 1)",
  },
} as const;

function parsePayload(text: string | undefined, line: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw usageError(`--payload is not JSON: ${text.slice(0, 60)}`, line);
  }
}

const time = (iso: string | null) => (iso ? iso.slice(11, 19) : "--:--:--");

function stepError(s: schemas.RunStep): string {
  return s.errorCode ? `${s.errorCode}: ${s.errorMessage}` : "";
}

function printRun(out: Output, r: schemas.Run): void {
  out.fields([
    ["run", r.id],
    ["pipeline", `${r.pipeline} (version ${r.pipelineVersion})`],
    ["trigger", `${r.trigger.id} (${r.trigger.uses}, ${r.trigger.kind})`],
    ["status", r.errorCode ? `${r.status}: ${r.errorCode}: ${r.errorMessage}` : r.status],
    ["created", r.createdAt],
    ["started", r.startedAt],
    ["finished", r.finishedAt],
    ...(r.wakeAt ? ([["wakes", r.wakeAt]] as [string, string][]) : []),
  ]);
  out.line();
  out.table(r.steps ?? [], [
    { header: "STEP", value: (s) => s.stepId },
    { header: "USES", value: (s) => s.uses },
    { header: "STATUS", value: (s) => s.status },
    { header: "ATTEMPTS", value: (s) => s.attempts.length, right: true },
    { header: "STARTED", value: (s) => s.startedAt },
    { header: "FINISHED", value: (s) => s.finishedAt },
    { header: "ERROR", value: (s) => stepError(s) || "-" },
  ]);
}

/** The pipeline a run belongs to: runs are listed newest first and run ids sort by time, so the search stops early. */
async function pipelineOfRun(api: ApiClient, runId: string): Promise<string> {
  const { items } = await api.listPipelines();
  for (const p of items) {
    let cursor: string | undefined;
    do {
      const pageOfRuns = await api.listPipelineRuns({
        params: { name: p.name },
        query: { limit: 200, ...(cursor ? { cursor } : {}) },
      });
      if (pageOfRuns.items.some((r) => r.id === runId)) return p.name;
      const oldest = pageOfRuns.items.at(-1)?.id;
      cursor = oldest !== undefined && oldest > runId ? (pageOfRuns.nextCursor ?? undefined) : undefined;
    } while (cursor);
  }
  throw new CliError(
    `no run ${runId} in any pipeline you may read`,
    ExitCode.NotFound,
    "list a pipeline's runs with `latchflow pipelines runs NAME`",
    "not_found",
  );
}

/** Polls a run until it ends, printing each new state of the run and of its steps; resolves with the last. */
async function follow(
  ctx: Context,
  api: ApiClient,
  name: string,
  runId: string,
  intervalMs: number,
): Promise<schemas.Run> {
  const seen = new Map<string, string>();
  let run: schemas.Run;
  for (;;) {
    run = await api.getPipelineRun({ params: { name, runId } });
    if (!ctx.out.json) {
      const say = (key: string, state: string, text: string) => {
        if (seen.get(key) === state) return;
        seen.set(key, state);
        ctx.out.line(`${time(new Date().toISOString())}  ${text}`);
      };
      if (!seen.has("header")) {
        seen.set("header", "");
        ctx.out.line(
          `run ${run.id} of ${run.pipeline} (version ${run.pipelineVersion}), fired by ${run.trigger.id} (${run.trigger.uses})`,
        );
      }
      if (!ENDED.has(run.status))
        say("run", run.status, `run ${run.status}${run.wakeAt ? ` until ${run.wakeAt}` : ""}`);
      for (const s of run.steps ?? []) {
        const err = stepError(s);
        say(
          `step:${s.stepId}`,
          `${s.status}:${s.attempts.length}`,
          `step ${s.stepId} (${s.uses}): ${s.status}${err ? `: ${err}` : ""}${s.attempts.length > 1 ? ` (attempt ${s.attempts.length})` : ""}`,
        );
      }
      if (ENDED.has(run.status)) {
        say(
          "run",
          run.status,
          `run ${run.status}${run.errorCode ? `: ${run.errorCode}: ${run.errorMessage}` : ""}`,
        );
      }
    }
    if (ENDED.has(run.status)) return run;
    if (!(await sleep(intervalMs, ctx.signal))) {
      throw Object.assign(new Error("interrupted"), { name: "AbortError" });
    }
  }
}

function intervalOf(ctx: Context<typeof followOptions>): number {
  const text = ctx.options.interval;
  if (text === undefined) return 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw usageError("--interval is a number of seconds between 0.1 and 3600", ctx.commandLine);
  }
  return seconds * 1000;
}

export const runNow = defineCommand({
  path: ["pipelines", "run"],
  summary: "Run a pipeline now through its manual@1 trigger (optionally with a payload)",
  usage: "latchflow pipelines run NAME [--payload JSON] [--follow]",
  examples: [
    'latchflow pipelines run share-now --payload \'{"note":"for Bob"}\' --follow',
    "latchflow pipelines run share-now --json | jq -r .id",
  ],
  access: `${Scope.PipelinesRun} on the pipeline`,
  args: [nameArg],
  options: {
    payload: {
      type: "string",
      value: "JSON",
      description: "the payload, checked against the trigger's payloadSchema",
    },
    ...followOptions,
  },
  output: {
    description:
      "Run (as queued; with --follow, as ended): { id, pipeline, pipelineVersion, trigger, status, … }",
    schema: shape((c) => c.schemas.Run),
  },
  async run(ctx) {
    const name = ctx.args[0]!;
    const payload = parsePayload(ctx.options.payload, ctx.commandLine);
    const api = await ctx.api();
    const interval = intervalOf(ctx);
    const started = await api.startPipelineRun({
      params: { name },
      body: payload === undefined ? {} : { payload },
    });
    if (!ctx.options.follow) {
      ctx.out.result(started, () => {
        ctx.out.line(`Started run ${started.id} of ${name} (${started.status})`);
        ctx.out.note(`follow it: latchflow pipelines logs ${started.id} --pipeline ${name} --follow`);
      });
      return undefined;
    }
    const ended = await follow(ctx, api, name, started.id, interval);
    if (ctx.out.json) ctx.out.printJson(ended);
    return ended.status === "failed" ? ExitCode.Error : undefined;
  },
});

export const runs = defineCommand({
  path: ["pipelines", "runs"],
  summary: "A pipeline's runs, newest first",
  usage: "latchflow pipelines runs NAME [--limit N] [--cursor C] [--all]",
  examples: [
    "latchflow pipelines runs family-legacy",
    "latchflow pipelines runs family-legacy --json | jq '.items[0].status'",
  ],
  access: `${Scope.PipelinesWrite} on the pipeline`,
  args: [nameArg],
  options: {
    limit: { type: "string", value: "N", description: "at most N runs (1–200)" },
    cursor: { type: "string", value: "CURSOR", description: "continue from a previous page's nextCursor" },
    all: { type: "boolean", description: "every run, following pages" },
  },
  output: {
    description: "{ items: Run[] (without steps), nextCursor: string | null }",
    schema: shape((c) => c.page(c.schemas.Run)),
  },
  async run(ctx) {
    const api = await ctx.api();
    const params = { name: ctx.args[0]! };
    const result = await pageOrAll(ctx.options, (query) => api.listPipelineRuns({ params, query }));
    ctx.out.result(result, () => {
      ctx.out.table(result.items, [
        { header: "RUN", value: (r) => r.id },
        { header: "STATUS", value: (r) => r.status },
        { header: "TRIGGER", value: (r) => `${r.trigger.id} (${r.trigger.uses})` },
        { header: "VERSION", value: (r) => r.pipelineVersion, right: true },
        { header: "CREATED", value: (r) => r.createdAt },
        { header: "FINISHED", value: (r) => r.finishedAt },
        { header: "ERROR", value: (r) => (r.errorCode ? `${r.errorCode}: ${r.errorMessage}` : "-") },
      ]);
      if (result.nextCursor)
        ctx.out.note(`more: ${ctx.commandLine} ${params.name} --cursor ${result.nextCursor}`);
    });
    return undefined;
  },
});

export const logs = defineCommand({
  path: ["pipelines", "logs"],
  summary: "A run's steps: status, attempts, errors; --follow polls until the run ends",
  usage: "latchflow pipelines logs RUN [--pipeline NAME] [--follow]",
  examples: [
    "latchflow pipelines logs 01KA2B… --follow",
    "latchflow pipelines logs 01KA2B… --pipeline share-now --json | jq '.steps[].status'",
  ],
  access: `${Scope.PipelinesWrite} on the run's pipeline`,
  args: [{ name: "RUN", required: true }],
  options: {
    pipeline: {
      type: "string",
      value: "NAME",
      description: "the run's pipeline (saves looking for it through every pipeline's runs)",
    },
    ...followOptions,
  },
  output: {
    description: "Run with steps[] (with --follow, as it ended)",
    schema: shape((c) => c.schemas.Run),
  },
  async run(ctx) {
    const runId = ctx.args[0]!;
    if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(runId))
      throw usageError(`"${runId}" is not a run id`, ctx.commandLine);
    const api = await ctx.api();
    const interval = intervalOf(ctx);
    const name = ctx.options.pipeline ?? (await pipelineOfRun(api, runId));
    if (ctx.options.follow) {
      const ended = await follow(ctx, api, name, runId, interval);
      if (ctx.out.json) ctx.out.printJson(ended);
      return ended.status === "failed" ? ExitCode.Error : undefined;
    }
    const run = await api.getPipelineRun({ params: { name, runId } });
    ctx.out.result(run, () => printRun(ctx.out, run));
    return undefined;
  },
});

const Triggers = z.object({
  spec: z.object({ triggers: z.array(z.object({ id: z.string(), uses: z.string() })) }),
});

export const checkIn = defineCommand({
  path: ["pipelines", "check-in"],
  summary: "Check in to a pipeline's dead-man trigger (deadman@1): pushes its deadline back",
  usage: "latchflow pipelines check-in NAME [--trigger ID]",
  examples: [
    "latchflow pipelines check-in family-legacy",
    "latchflow pipelines check-in family-legacy --trigger switch --json",
  ],
  access: `${Scope.PipelinesWrite} on the pipeline (as editing it; recipients check in through their emailed link)`,
  args: [nameArg],
  options: {
    trigger: {
      type: "string",
      value: "ID",
      description: "the trigger's id (default: the pipeline's only deadman@ trigger)",
    },
  },
  output: {
    description: "what the trigger answered, e.g. { deadline, pausedUntil? } from deadman@1",
    schema: shape((c) => c.schemas.TriggerAnswer),
  },
  async run(ctx) {
    const name = ctx.args[0]!;
    const api = await ctx.api();
    let trigger = ctx.options.trigger;
    if (trigger === undefined) {
      const answer: unknown = await api.getPipeline({ params: { name }, query: { format: "json" } });
      const { schemas } = await contract();
      const doc = Triggers.safeParse(schemas.PipelineWithDocument.parse(answer).document);
      const deadman = doc.success ? doc.data.spec.triggers.filter((t) => t.uses.startsWith("deadman@")) : [];
      if (deadman.length !== 1) {
        throw new CliError(
          deadman.length === 0
            ? `pipeline ${name} has no deadman@ trigger`
            : `pipeline ${name} has ${deadman.length} deadman@ triggers: ${deadman.map((t) => t.id).join(", ")}`,
          ExitCode.Usage,
          deadman.length === 0
            ? "check in to a pipeline with a deadman@1 trigger"
            : "name one with --trigger ID",
          "usage",
        );
      }
      trigger = deadman[0]!.id;
    }
    const answer = await api.controlTrigger({ params: { name, trigger, action: "check-in" }, body: {} });
    ctx.out.result(answer, () => {
      const deadline = z.object({ deadline: z.string() }).safeParse(answer);
      ctx.out.line(
        deadline.success
          ? `Checked in to ${name}/${trigger}: next deadline ${deadline.data.deadline}`
          : `Checked in to ${name}/${trigger}: ${JSON.stringify(answer)}`,
      );
    });
    return undefined;
  },
});

export const commands = [runNow, runs, logs, checkIn];
