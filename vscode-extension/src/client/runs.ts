// "Show runs" (a quick pick of a pipeline's runs, newest first; the "Open runs" lens) and "Show run steps" (a
// read-only document with the run and each step's status, attempts, durations, errors and outputs).

import type { schemas } from "@latchflow/api";
import type { Client } from "@latchflow/api/client";
import { describeError, type Editor, NOT_CONNECTED } from "./editor.js";
import type { VirtualDocuments } from "./virtual-documents.js";

type Run = schemas.Run;
type RunStep = schemas.RunStep;

/** How many runs the pick lists (the newest). */
export const RUNS_LISTED = 50;

/** A duration in words: `850 ms`, `2.1 s`, `3 min 5 s`, `2 h 3 min`, `1 d 4 h`. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toString()} s`;
  const s = Math.round(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), "d"],
    [Math.floor((s % 86_400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "min"],
    [s % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(" ");
}

/** How long from `start` to `end` (or "running" without an end); "" without a start. */
function took(start: string | null, end: string | null): string {
  if (!start) return "";
  if (!end) return "running";
  return formatElapsed(Date.parse(end) - Date.parse(start));
}

const ICONS: Record<string, string> = {
  queued: "$(clock)",
  running: "$(sync)",
  waiting: "$(watch)",
  succeeded: "$(pass)",
  failed: "$(error)",
};

const errorOf = (x: { errorCode: string; errorMessage: string }) =>
  x.errorCode ? `${x.errorCode}: ${x.errorMessage}` : "";

/** `2026-12-07 09:00:05 UTC` (the instants the server answers are UTC). */
const when = (iso: string | null) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : "–");

/** Table cells must not break the row. */
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The run and its steps as a Markdown document. */
export function renderRun(run: Run): string {
  const lines = [
    `# Run ${run.id}`,
    "",
    `Pipeline **${run.pipeline}**, version ${run.pipelineVersion}.`,
    "",
    "| | |",
    "|---|---|",
    `| status | ${cell(run.errorCode ? `${run.status}: ${errorOf(run)}` : run.status)} |`,
    `| trigger | ${cell(`${run.trigger.id} (${run.trigger.uses}, ${run.trigger.kind})`)} |`,
    `| created | ${when(run.createdAt)} |`,
    `| started | ${when(run.startedAt)} |`,
    `| finished | ${when(run.finishedAt)}${run.finishedAt ? ` (took ${took(run.startedAt ?? run.createdAt, run.finishedAt)})` : ""} |`,
    ...(run.wakeAt ? [`| wakes | ${when(run.wakeAt)} |`] : []),
    "",
    "## Steps",
    "",
  ];
  const steps = run.steps ?? [];
  if (steps.length === 0) lines.push("No step has started yet.", "");
  for (const s of steps) lines.push(...renderStep(s));
  if (run.trigger.payload !== undefined && run.trigger.payload !== null) {
    lines.push("## Trigger payload", "", "```json", json(run.trigger.payload), "```", "");
  }
  return lines.join("\n");
}

/** Outputs and payloads as JSON, cut at 4,000 characters. */
function json(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? String(value);
  return text.length > 4000 ? `${text.slice(0, 4000)}\n… (cut)` : text;
}

function renderStep(s: RunStep): string[] {
  const attempts = s.attempts.length;
  const duration = took(s.startedAt, s.finishedAt);
  const head = [s.status, `${attempts} attempt${attempts === 1 ? "" : "s"}`, ...(duration ? [duration] : [])];
  const out = [`### ${s.stepId} — ${s.uses}`, "", head.join(" · "), ""];
  if (s.errorCode) out.push(`Error: \`${s.errorCode}\`: ${s.errorMessage}`, "");
  if (attempts > 0) {
    out.push("| attempt | status | started | took | error | next retry |", "|---|---|---|---|---|---|");
    for (const a of s.attempts) {
      out.push(
        `| ${a.number} | ${a.status} | ${when(a.startedAt)} | ${took(a.startedAt, a.finishedAt) || "–"} | ${cell(errorOf(a)) || "–"} | ${a.nextRetryAt ? when(a.nextRetryAt) : "–"} |`,
      );
    }
    out.push("");
  }
  if (s.outputs !== undefined && s.outputs !== null)
    out.push("Outputs:", "", "```json", json(s.outputs), "```", "");
  return out;
}

/** Reads the run and opens its steps (a read-only document, refreshed when shown again). */
export async function showRun(
  editor: Editor,
  api: Client,
  docs: VirtualDocuments,
  name: string,
  runId: string,
): Promise<void> {
  try {
    const run = await api.getPipelineRun({ params: { name, runId } });
    await editor.open(docs.set(`runs/${name}/${runId}.md`, renderRun(run)));
  } catch (err) {
    await editor.error(`${name}: ${describeError(err)}`);
  }
}

/** The quick pick's line for a run. */
export function runItem(r: Run) {
  const error = errorOf(r);
  return {
    label: `${ICONS[r.status] ?? ""} ${r.status} · ${r.id}`.trim(),
    description: `${r.trigger.id} (${r.trigger.uses}) · version ${r.pipelineVersion}`,
    detail: [
      `created ${when(r.createdAt)}`,
      ...(r.finishedAt ? [`took ${took(r.startedAt ?? r.createdAt, r.finishedAt)}`] : []),
      ...(error ? [error] : []),
    ].join(" · "),
    value: r.id,
  };
}

/**
 * The pipeline's runs in a quick pick (the newest {@link RUNS_LISTED}); the chosen one's steps are shown. With
 * `runId` (e.g. from "Show steps" after a run started), that run's steps straight away.
 */
export async function showRuns(
  editor: Editor,
  api: Client | undefined,
  docs: VirtualDocuments,
  name: string | undefined,
  runId?: string,
): Promise<void> {
  if (!api) {
    await editor.error(NOT_CONNECTED);
    return;
  }
  if (!name) {
    await editor.error("This pipeline has no metadata.name.");
    return;
  }
  if (runId) {
    await showRun(editor, api, docs, name, runId);
    return;
  }
  let runs: Run[];
  try {
    runs = (await api.listPipelineRuns({ params: { name }, query: { limit: RUNS_LISTED } })).items;
  } catch (err) {
    await editor.error(`${name}: ${describeError(err)}`);
    return;
  }
  if (runs.length === 0) {
    await editor.info(`${name} has not run yet.`);
    return;
  }
  const chosen = await editor.pick(
    runs.map(runItem),
    `Runs of ${name}, newest first: choose one to see its steps`,
  );
  if (chosen) await showRun(editor, api, docs, name, chosen);
}
