// The Plan / Apply / Run commands behind the pipeline code lenses, through the typed client; the editor API is
// passed in (one seam, `Ui`) so that this is tested as a plain module against a real server.
import { ApiError, type Client } from "@latchflow/api/client";
import { parseDocument } from "yaml";

export const PIPELINE_COMMANDS = ["latchflow.plan", "latchflow.apply", "latchflow.run"] as const;
export type PipelineCommand = (typeof PIPELINE_COMMANDS)[number];

/** What the commands need of the editor. */
export interface Ui {
  info(message: string): PromiseLike<unknown>;
  error(message: string): PromiseLike<unknown>;
  /** Asks before a change on the server; true when the person agreed. */
  confirm(message: string, action: string): PromiseLike<boolean>;
}

/** What a plan found: the document against the version stored on the server. */
export interface PlanResult {
  name: string;
  action: "create" | "update" | "unchanged";
  /** Lines added and removed against the stored source (0 and 0 when unchanged). */
  added: number;
  removed: number;
  storedVersion?: number;
}

/** `metadata.name` of a pipeline document, or undefined when it has none. */
export function pipelineName(text: string): string | undefined {
  const name = parseDocument(text).getIn(["metadata", "name"]);
  return typeof name === "string" && name !== "" ? name : undefined;
}

/** Compares the document with the source stored on the server (nothing is changed). */
export async function plan(api: Client, name: string, text: string): Promise<PlanResult> {
  let stored: string;
  let storedVersion: number | undefined;
  try {
    const answer: unknown = await api.getPipeline({ params: { name } });
    stored = await (answer as { text(): Promise<string> }).text();
    storedVersion = (await api.listPipelines()).items.find((p) => p.name === name)?.version;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      return { name, action: "create", added: lineCount(text), removed: 0 };
    }
    throw err;
  }
  if (stored === text) return { name, action: "unchanged", added: 0, removed: 0, ...version(storedVersion) };
  const { added, removed } = lineChanges(stored, text);
  return { name, action: "update", added, removed, ...version(storedVersion) };
}

const version = (v: number | undefined) => (v === undefined ? {} : { storedVersion: v });

function lineCount(text: string): number {
  return text.split("\n").filter((l, i, all) => i < all.length - 1 || l !== "").length;
}

/** Lines only in `from` (removed) and only in `to` (added), by longest common subsequence. */
export function lineChanges(from: string, to: string): { added: number; removed: number } {
  const a = from.split("\n");
  const b = to.split("\n");
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++)
      row[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, row[j - 1]!);
    prev = row;
  }
  const common = prev[b.length]!;
  return { added: b.length - common, removed: a.length - common };
}

/** The plan in one plain sentence. */
export function describePlan(p: PlanResult): string {
  const v = p.storedVersion === undefined ? "" : ` (version ${p.storedVersion} on the server)`;
  switch (p.action) {
    case "create":
      return `${p.name}: new pipeline, applying creates it (${p.added} lines).`;
    case "unchanged":
      return `${p.name}: no changes${v}.`;
    default:
      return `${p.name}: applying changes it${v}: ${p.added} lines added, ${p.removed} removed.`;
  }
}

/** Runs one of the lens commands on a document's text, telling the person the outcome through `ui`. */
export async function runPipelineCommand(
  command: PipelineCommand,
  text: string,
  api: Client | undefined,
  ui: Ui,
): Promise<void> {
  if (!api) {
    await ui.error("Not connected: set latchflow.server.url and run “Latchflow: Set API token”.");
    return;
  }
  const name = pipelineName(text);
  if (!name) {
    await ui.error("This pipeline has no metadata.name.");
    return;
  }
  try {
    if (command === "latchflow.plan") {
      await ui.info(describePlan(await plan(api, name, text)));
    } else if (command === "latchflow.apply") {
      const p = await plan(api, name, text);
      if (p.action === "unchanged") {
        await ui.info(describePlan(p));
        return;
      }
      if (!(await ui.confirm(describePlan(p), "Apply"))) return;
      const stored = await api.putPipeline({ params: { name }, body: text, contentType: "application/yaml" });
      await ui.info(`${name}: applied, now version ${stored.version}${stored.enabled ? "" : " (disabled)"}.`);
    } else {
      if (!(await ui.confirm(`Run ${name} now?`, "Run"))) return;
      const run = await api.startPipelineRun({ params: { name }, body: {} });
      await ui.info(`${name}: run ${run.id} started (${run.status}).`);
    }
  } catch (err) {
    await ui.error(`${name}: ${describeError(err)}`);
  }
}

function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const diagnostics = err.details.diagnostics;
    const n = Array.isArray(diagnostics) ? diagnostics.length : 0;
    return n > 0 ? `${err.message} (${n} problem${n === 1 ? "" : "s"}, see the Problems view)` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
