// `latchflow pipelines …`: pipelines as code (validate offline, plan, apply) and the stored pipelines (get,
// list, delete, enable, disable); runs and triggers are in pipeline-runs.ts. Operations: @latchflow/api's
// pipelines and runs areas. Plan/apply semantics: ADR 018.
import { capabilityCatalogs } from "@latchflow/api/pipeline-plan";
import { Scope } from "@latchflow/api/scopes";
import { z } from "zod";
import { type ApiClient, type Context, contract, defineCommand, type OptionSpecs, shape } from "./command.js";
import { API_ERRORS, CliError, ExitCode } from "./exit-codes.js";
import type { Catalogs } from "./pipeline-files.js";
import {
  type CheckedFile,
  checkPipelineFiles,
  failOnInvalid,
  formatDiagnostic,
  readPipelineFiles,
} from "./pipeline-files.js";
import {
  AppliedChange,
  applyPlan,
  checkUnchanged,
  computePlan,
  Plan,
  printPlan,
  storedSource,
} from "./pipeline-plan.js";
import { commands as runCommands } from "./pipeline-runs.js";
import { confirm } from "./prompt.js";

const fileOption = {
  file: {
    type: "string",
    short: "f",
    multiple: true,
    value: "FILE|DIR",
    description: "a pipeline document, or a directory of them (*.yaml, *.yml; not recursive); repeatable",
  },
} as const satisfies OptionSpecs;
const nameArg = { name: "NAME", required: true } as const;

/** The server's enabled capabilities (built-in and installed plugins') as the validator's catalog. */
async function serverCatalog(api: ApiClient): Promise<Catalogs> {
  return capabilityCatalogs((await api.listCapabilities()).items);
}

async function builtinCatalog(): Promise<Catalogs> {
  return { capabilities: (await import("@latchflow/builtin-plugins")).builtinCatalog() };
}

const FileReport = z.object({
  file: z.string(),
  name: z.string().nullable(),
  ok: z.boolean(),
  diagnostics: z.array(
    z.object({
      file: z.string(),
      line: z.number().int(),
      column: z.number().int(),
      code: z.string(),
      message: z.string(),
      severity: z.enum(["error", "warning"]),
      suggestion: z.string().optional(),
    }),
  ),
});
const toReport = (f: CheckedFile): z.output<typeof FileReport> => ({
  file: f.file,
  name: f.name,
  ok: f.ok,
  diagnostics: f.diagnostics,
});

export const validate = defineCommand({
  path: ["pipelines", "validate"],
  summary: "Check pipeline files offline: YAML, the pipeline schema, capabilities, durations, conditions",
  usage: "latchflow pipelines validate -f FILE|DIR [--remote]",
  examples: [
    "latchflow pipelines validate -f pipelines/",
    "latchflow pipelines validate -f legacy.yaml --json | jq '.files[].diagnostics'",
  ],
  access:
    "anyone, offline (built-in capabilities); with --remote, pipelines:write to read the server's capabilities",
  options: {
    ...fileOption,
    remote: {
      type: "boolean",
      description:
        "check `uses:` against the server's capabilities (installed plugins too) instead of the built-ins",
    },
  },
  output: {
    description:
      "{ ok: boolean, files: [{ file, name: string | null, ok, diagnostics: [{ file, line, column, code, message, severity, suggestion? }] }] }; exit 2 when not ok",
    schema: shape((c) => c.z.object({ ok: c.z.boolean(), files: c.z.array(FileReport) })),
  },
  async run(ctx) {
    const files = await readPipelineFiles(ctx.options.file ?? [], ctx.commandLine);
    const catalog = ctx.options.remote ? await serverCatalog(await ctx.api()) : await builtinCatalog();
    const checked = await checkPipelineFiles(files, catalog);
    const ok = checked.every((f) => f.ok);
    ctx.out.result({ ok, files: checked.map(toReport) }, () => {
      for (const f of checked) for (const d of f.diagnostics) ctx.out.line(formatDiagnostic(d));
      const errors = checked.flatMap((f) => f.diagnostics).filter((d) => d.severity === "error").length;
      ctx.out.note(
        ok
          ? `${checked.length} pipeline file(s) valid`
          : `${errors} error(s) in ${checked.filter((f) => !f.ok).length} of ${checked.length} file(s)`,
      );
    });
    return ok ? ExitCode.Ok : API_ERRORS.validation_failed.exit;
  },
});

/** Reads and validates the files against the server's catalog; exit 2 with every diagnostic when invalid. */
async function filesAndPlan(
  ctx: Context<typeof fileOption & { prune: { type: "boolean"; description: string } }>,
) {
  const files = await readPipelineFiles(ctx.options.file ?? [], ctx.commandLine);
  const api = await ctx.api();
  const checked = await checkPipelineFiles(files, await serverCatalog(api));
  failOnInvalid(ctx.out, checked);
  return { api, checked, plan: await computePlan(api, checked, ctx.options.prune === true) };
}

const pruneOption = {
  prune: {
    type: "boolean",
    description: "also delete the server's pipelines that none of the files declares",
  },
} as const satisfies OptionSpecs;

export const plan = defineCommand({
  path: ["pipelines", "plan"],
  summary: "Show what apply would create, update and delete on the server (a diff of the YAML sources)",
  usage: "latchflow pipelines plan -f FILE|DIR [--prune]",
  examples: [
    "latchflow pipelines plan -f pipelines/",
    "latchflow pipelines plan -f pipelines/ --prune --json | jq '.summary'",
  ],
  access: `${Scope.PipelinesWrite} (reads every pipeline's source)`,
  options: { ...fileOption, ...pruneOption },
  output: {
    description:
      "{ changes: [{ name, action: create|update|delete, file: string | null, server: { version, enabled } | null, sourceChanged, enabled: { from, to } | null, diff }], unchanged: [{ name, file, version }], untracked: string[], summary: { create, update, delete } }",
    schema: shape(() => Plan),
  },
  async run(ctx) {
    const { plan } = await filesAndPlan(ctx);
    ctx.out.result(plan, () => printPlan(ctx.out, plan));
    return undefined;
  },
});

export const apply = defineCommand({
  path: ["pipelines", "apply"],
  summary: "Make the server match the files: shows the plan, asks, then creates, updates (and deletes)",
  usage: "latchflow pipelines apply -f FILE|DIR [--prune] [--yes]",
  examples: [
    "latchflow pipelines apply -f pipelines/",
    "latchflow pipelines apply -f pipelines/ --prune --yes",
  ],
  access: `${Scope.PipelinesWrite} on each pipeline it changes`,
  options: {
    ...fileOption,
    ...pruneOption,
    yes: {
      type: "boolean",
      short: "y",
      description: "apply without asking (needed when there is no terminal, e.g. in CI)",
    },
  },
  output: {
    description:
      "{ plan: Plan (as `pipelines plan --json`), applied: [{ name, action, version: number | null, enabled: boolean | null }] }",
    schema: shape((c) => c.z.object({ plan: Plan, applied: c.z.array(AppliedChange) })),
  },
  async run(ctx) {
    const { api, checked, plan } = await filesAndPlan(ctx);
    if (!ctx.out.json) printPlan(ctx.out, plan);
    if (plan.changes.length === 0) {
      if (ctx.out.json) ctx.out.printJson({ plan, applied: [] });
      return undefined;
    }
    if (!ctx.options.yes) {
      if (ctx.out.json) {
        throw new CliError(
          "refusing to apply without confirmation: --json prints no plan to review",
          ExitCode.Usage,
          `review \`latchflow pipelines plan\`, then run \`${ctx.commandLine} --yes --json\``,
          "confirmation_required",
        );
      }
      if (!(await confirm("Apply these changes?", ctx.commandLine))) {
        ctx.out.note("Nothing applied.");
        return ExitCode.Error;
      }
    }
    await checkUnchanged(api, plan, ctx.commandLine);
    const applied = await applyPlan(api, plan, checked, ctx.out);
    ctx.out.result({ plan, applied }, () => ctx.out.line(`Applied: ${applied.length} change(s).`));
    return undefined;
  },
});

export const get = defineCommand({
  path: ["pipelines", "get"],
  summary: "Print a pipeline's source exactly as stored (YAML), or with --json its parsed document",
  usage: "latchflow pipelines get NAME",
  examples: [
    "latchflow pipelines get family-legacy > family-legacy.yaml",
    "latchflow pipelines get family-legacy --json",
  ],
  access: `${Scope.PipelinesWrite} on the pipeline`,
  args: [nameArg],
  output: {
    description:
      "PipelineWithDocument: { name, description, enabled, version, triggers, createdAt, updatedAt, document }",
    schema: shape((c) => c.schemas.PipelineWithDocument),
  },
  async run(ctx) {
    const api = await ctx.api();
    const name = ctx.args[0]!;
    if (!ctx.out.json) {
      const text = await storedSource(api, name);
      ctx.out.line(text.endsWith("\n") ? text.slice(0, -1) : text);
      return undefined;
    }
    const answer: unknown = await api.getPipeline({ params: { name }, query: { format: "json" } });
    const { schemas } = await contract();
    ctx.out.printJson(schemas.PipelineWithDocument.parse(answer));
    return undefined;
  },
});

export const list = defineCommand({
  path: ["pipelines", "list"],
  summary: "List pipelines",
  usage: "latchflow pipelines list",
  examples: ["latchflow pipelines list", "latchflow pipelines list --json | jq -r '.items[].name'"],
  access: Scope.PipelinesWrite,
  output: {
    description:
      "{ items: Pipeline[] } — Pipeline: { name, description, enabled, version, triggers: [{ id, uses }], createdAt, updatedAt }",
    schema: shape((c) => c.z.object({ items: c.z.array(c.schemas.Pipeline) })),
  },
  async run(ctx) {
    const result = await (await ctx.api()).listPipelines();
    ctx.out.result(result, () =>
      ctx.out.table(result.items, [
        { header: "NAME", value: (p) => p.name },
        { header: "ENABLED", value: (p) => (p.enabled ? "yes" : "no") },
        { header: "VERSION", value: (p) => p.version, right: true },
        { header: "UPDATED", value: (p) => p.updatedAt },
        { header: "DESCRIPTION", value: (p) => p.description || "-" },
      ]),
    );
    return undefined;
  },
});

export const remove = defineCommand({
  path: ["pipelines", "delete"],
  summary: "Delete a pipeline and its history (asks first)",
  usage: "latchflow pipelines delete NAME [--yes]",
  examples: [
    "latchflow pipelines delete old-reminder",
    "latchflow pipelines delete old-reminder --yes --json",
  ],
  access: `${Scope.PipelinesWrite} on the pipeline`,
  args: [nameArg],
  options: { yes: { type: "boolean", short: "y", description: "delete without asking" } },
  output: { description: "Pipeline (the deleted one)", schema: shape((c) => c.schemas.Pipeline) },
  async run(ctx) {
    const name = ctx.args[0]!;
    if (
      !ctx.options.yes &&
      !(await confirm(`Delete pipeline ${name} and every version of it?`, ctx.commandLine))
    ) {
      ctx.out.note("Nothing deleted.");
      return ExitCode.Error;
    }
    const p = await (await ctx.api()).deletePipeline({ params: { name } });
    ctx.out.result(p, () => ctx.out.line(`Deleted pipeline ${p.name} (was version ${p.version})`));
    return undefined;
  },
});

function setEnabled(enabled: boolean) {
  const verb = enabled ? "enable" : "disable";
  return defineCommand({
    path: ["pipelines", verb],
    summary: enabled
      ? "Enable a pipeline: its triggers arm again"
      : "Disable a pipeline: its triggers stop firing",
    usage: `latchflow pipelines ${verb} NAME`,
    examples: [`latchflow pipelines ${verb} family-legacy`],
    access: `${Scope.PipelinesWrite} on the pipeline`,
    args: [nameArg],
    output: { description: "Pipeline", schema: shape((c) => c.schemas.Pipeline) },
    async run(ctx) {
      const p = await (await ctx.api()).setPipelineEnabled({
        params: { name: ctx.args[0]! },
        body: { enabled },
      });
      ctx.out.result(p, () => ctx.out.line(`Pipeline ${p.name} is ${p.enabled ? "enabled" : "disabled"}`));
      return undefined;
    },
  });
}

export const enable = setEnabled(true);
export const disable = setEnabled(false);

export const commands = [validate, plan, apply, get, list, remove, enable, disable, ...runCommands];
