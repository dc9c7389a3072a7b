// Pipelines as code: the plan (what `apply` would create, update and delete on the server to match the files)
// and its application. The comparison itself is @latchflow/api/pipeline-plan's (shared with the VS Code
// extension); this module adds the zod schemas of the `--json` output, printing and the CLI's exit codes. What
// is compared, how deletes are proposed and how a server that changed in between is caught: ADR 018.
import { type AnyClient, isApiError } from "@latchflow/api/client";
import type * as shared from "@latchflow/api/pipeline-plan";
import { applyChange, changedSincePlan } from "@latchflow/api/pipeline-plan";
import { z } from "zod";
import { contract } from "./command.js";
import { CliError, ExitCode } from "./exit-codes.js";
import type { Output } from "./output.js";
import { type CheckedFile, type FileDiagnostic, formatDiagnostic } from "./pipeline-files.js";

const ServerState = z.object({ version: z.number().int(), enabled: z.boolean() });

/** One change of a plan (`--json`: `changes[]`). */
export const PlannedChange = z.object({
  name: z.string(),
  action: z.enum(["create", "update", "delete"]),
  /** the file that declares it; null for a delete */
  file: z.string().nullable(),
  /** the server's pipeline the change was planned against; null for a create */
  server: ServerState.nullable(),
  /** whether the YAML source changes (a new version); false when only `enabled` changes */
  sourceChanged: z.boolean(),
  /** the enabled state that changes; null when it does not */
  enabled: z.object({ from: z.boolean().nullable(), to: z.boolean() }).nullable(),
  /** unified diff of the YAML source, server's (a/) → file's (b/); empty when the source is the same */
  diff: z.string(),
});
export type PlannedChange = z.output<typeof PlannedChange>;

/** `latchflow pipelines plan --json`. */
export const Plan = z.object({
  changes: z.array(PlannedChange),
  unchanged: z.array(z.object({ name: z.string(), file: z.string(), version: z.number().int() })),
  /** on the server but in none of the files, and kept (without --prune) */
  untracked: z.array(z.string()),
  summary: z.object({ create: z.number().int(), update: z.number().int(), delete: z.number().int() }),
});
export type Plan = z.output<typeof Plan>;

/** What apply did to one pipeline (`--json`: `applied[]`). */
export const AppliedChange = z.object({
  name: z.string(),
  action: z.enum(["create", "update", "delete"]),
  /** the version now stored; null after a delete */
  version: z.number().int().nullable(),
  enabled: z.boolean().nullable(),
});
export type AppliedChange = z.output<typeof AppliedChange>;

// the output schemas describe exactly what the shared plan answers
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const agrees: [Same<Plan, shared.Plan>, Same<AppliedChange, shared.AppliedChange>] = [true, true];
void agrees;

export { computePlan, storedSource } from "@latchflow/api/pipeline-plan";

const SIGN = { create: "+", update: "~", delete: "-" } as const;
const STYLE = { create: "green", update: "yellow", delete: "red" } as const;

/** The plan for a person: one header per change, what changes in `enabled`, then the source diff. */
export function printPlan(out: Output, plan: Plan): void {
  for (const c of plan.changes) {
    const about = [
      ...(c.server ? [`server version ${c.server.version}`] : []),
      c.file ? `from ${c.file}` : "in no file: --prune",
    ].join(", ");
    out.line(out.style(STYLE[c.action], `${SIGN[c.action]} ${c.action} pipeline ${c.name} (${about})`));
    if (c.enabled && c.action !== "create") out.line(`  enabled: ${c.enabled.from} → ${c.enabled.to}`);
    for (const line of c.diff.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1)) {
      const style = line.startsWith("@@")
        ? "cyan"
        : line.startsWith("+") && !line.startsWith("+++")
          ? "green"
          : line.startsWith("-") && !line.startsWith("---")
            ? "red"
            : undefined;
      out.line(style ? out.style(style, line) : line);
    }
    out.line();
  }
  const s = plan.summary;
  if (plan.changes.length === 0) {
    out.line(`No changes: the server matches ${plan.unchanged.length} pipeline file(s).`);
  } else {
    out.line(`Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete.`);
  }
  if (plan.untracked.length > 0) {
    out.note(
      `${plan.untracked.length} pipeline(s) on the server are in none of these files and are kept (--prune deletes them): ${plan.untracked.join(", ")}`,
    );
  }
}

/**
 * Refuses (exit 5) when a pipeline of the plan changed on the server since it was planned: another version,
 * another enabled state, created or deleted. The server takes no If-Match on PUT (ADR 018), so this is checked
 * right before the changes are sent.
 */
export async function checkUnchanged(api: AnyClient, plan: Plan, commandLine: string): Promise<void> {
  const changed = await changedSincePlan(api, plan);
  if (changed) {
    throw new CliError(
      `pipeline ${changed.name} changed on the server since the plan (${changed.was} → ${changed.is}); nothing was applied`,
      ExitCode.Conflict,
      `run \`${commandLine.replace(/ apply$/, " plan")} -f …\` again and review the new plan`,
      "conflict",
    );
  }
}

/** The server's diagnostics of a refused document (a 422's details), located in the file. */
export async function serverDiagnostics(err: unknown, file: string): Promise<FileDiagnostic[]> {
  if (!isApiError(err)) return [];
  const { schemas } = await contract();
  const parsed = z.array(schemas.Diagnostic).safeParse(err.details.diagnostics);
  if (!parsed.success) return [];
  return parsed.data.map((d) => ({
    file,
    line: d.line,
    column: d.column,
    code: d.code,
    message: d.message,
    severity: d.severity,
    ...(d.suggestion ? { suggestion: d.suggestion } : {}),
  }));
}

/**
 * Sends the plan's changes, creates and updates first, then deletes; stops at the first refusal (printing the
 * server's diagnostics located in the file when it refused a document). Progress goes to stderr.
 */
export async function applyPlan(
  api: AnyClient,
  plan: Plan,
  files: readonly CheckedFile[],
  out: Output,
): Promise<AppliedChange[]> {
  const text = new Map(files.map((f) => [f.name, f.text]));
  const applied: AppliedChange[] = [];
  const ordered = [...plan.changes].sort(
    (a, b) => Number(a.action === "delete") - Number(b.action === "delete"),
  );
  for (const c of ordered) {
    try {
      applied.push(await applyChange(api, c, text.get(c.name) ?? ""));
    } catch (err) {
      for (const d of await serverDiagnostics(err, c.file ?? c.name)) out.note(formatDiagnostic(d));
      if (applied.length > 0) out.note(`${applied.length} change(s) were applied before this one failed.`);
      throw err;
    }
    const a = applied.at(-1)!;
    const state = a.version === null ? "" : ` (version ${a.version}${a.enabled ? "" : ", disabled"})`;
    if (!out.json) out.note(`${a.action === "delete" ? "deleted" : `${a.action}d`} ${a.name}${state}`);
  }
  return applied;
}
