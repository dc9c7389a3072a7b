// "Latchflow: Validate workspace": every pipeline document of the workspace (`*.latchflow.yaml`, and YAML files
// with `apiVersion: latchflow.dev/v1`) validated by the language server, problems in the Problems view.
import { describeError, type Editor } from "./editor.js";

/** The language server's request (src/server/workspace.ts names the same). */
export const VALIDATE_WORKSPACE = "latchflow/validateWorkspace";

/** The glob of the files sent to the language server, which keeps the pipeline documents among them. */
export const YAML_FILES = "**/*.{yaml,yml}";

/** The language server's answer. */
export interface WorkspaceReport {
  files: { uri: string; errors: number; warnings: number }[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The outcome in one sentence. */
export function describeReport(report: WorkspaceReport): string {
  const n = report.files.length;
  if (n === 0)
    return "No pipeline documents in the workspace (*.latchflow.yaml, or YAML with apiVersion: latchflow.dev/v1).";
  const errors = report.files.reduce((sum, f) => sum + f.errors, 0);
  const warnings = report.files.reduce((sum, f) => sum + f.warnings, 0);
  const bad = report.files.filter((f) => f.errors + f.warnings > 0).length;
  const found =
    errors + warnings > 0
      ? `: ${plural(errors, "error")} and ${plural(warnings, "warning")} in ${plural(bad, "file")}`
      : ": all valid";
  return `Validated ${plural(n, "pipeline document")}${found}.`;
}

/** Finds the workspace's YAML files, has the language server validate them, and says what it found. */
export async function validateWorkspace(
  editor: Editor,
  request: (uris: string[]) => Promise<WorkspaceReport>,
): Promise<WorkspaceReport | undefined> {
  let report: WorkspaceReport;
  try {
    report = await editor.progress("Latchflow: validating the workspace's pipelines…", async () =>
      request(await editor.findFiles(YAML_FILES)),
    );
  } catch (err) {
    await editor.error(`Could not validate the workspace: ${describeError(err)}`);
    return undefined;
  }
  const errors = report.files.some((f) => f.errors > 0);
  const warnings = report.files.some((f) => f.warnings > 0);
  const action = await (errors
    ? editor.error(describeReport(report), "Show problems")
    : warnings
      ? editor.info(describeReport(report), "Show problems")
      : editor.info(describeReport(report)));
  if (action === "Show problems") await editor.showProblems();
  return report;
}
