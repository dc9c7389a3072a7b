// Plan (a diff view against the server), Apply, Run and Run with a payload, for the pipeline in an editor: the
// commands behind the pipeline code lenses and the palette. The comparison is @latchflow/api/pipeline-plan's
// (the CLI's `pipelines plan|apply`); the editor is the one seam (`Editor`), so this is tested as a plain
// module against a real server.
import type { Client } from "@latchflow/api/client";
import {
  applyChange,
  changedSincePlan,
  comparePipelines,
  diffStats,
  type Plan,
  type PlannedChange,
} from "@latchflow/api/pipeline-plan";
import { parseDocument } from "yaml";
import { describeError, type Editor, NOT_CONNECTED } from "./editor.js";
import { showRun } from "./runs.js";
import type { VirtualDocuments } from "./virtual-documents.js";

/** The pipeline document a command works on: its uri (for the diff view), its text and a short name for it. */
export interface PipelineDocument {
  uri: string;
  text: string;
  /** the file name, as the plan's diff labels it */
  label: string;
}

/** `metadata.name` of a pipeline document, or undefined when it has none. */
export function pipelineName(text: string): string | undefined {
  const name = parseDocument(text).getIn(["metadata", "name"]);
  return typeof name === "string" && name !== "" ? name : undefined;
}

/** `spec.enabled` when the document states it (a plan compares it with the server's state). */
function statedEnabled(text: string): boolean | undefined {
  const enabled = parseDocument(text).getIn(["spec", "enabled"]);
  return typeof enabled === "boolean" ? enabled : undefined;
}

/** What a plan of one document found: the change (none when the server matches) and the stored source. */
export interface DocumentPlan {
  name: string;
  change?: PlannedChange;
  /** the version on the server, when the pipeline exists there */
  version?: number;
  /** the source stored on the server ("" when the pipeline is new) */
  stored: string;
  /** the whole plan (to check, before applying, that the server did not change meanwhile) */
  plan: Plan;
}

/** Compares the document with the server (nothing is changed). */
export async function planDocument(api: Client, name: string, doc: PipelineDocument): Promise<DocumentPlan> {
  const { plan, stored } = await comparePipelines(
    api,
    [{ file: doc.label, name, text: doc.text, enabled: statedEnabled(doc.text) }],
    false,
  );
  const change = plan.changes[0];
  const version = change?.server?.version ?? plan.unchanged[0]?.version;
  return {
    name,
    ...(change ? { change } : {}),
    ...(version === undefined ? {} : { version }),
    stored: stored.get(name) ?? "",
    plan,
  };
}

/** The plan in one plain sentence. */
export function describePlan(p: DocumentPlan): string {
  const v = p.version === undefined ? "" : ` (version ${p.version} on the server)`;
  const c = p.change;
  if (!c) return `${p.name}: no changes${v}.`;
  const { added, removed } = diffStats(c.diff);
  if (c.action === "create") {
    return `${p.name}: new pipeline, applying creates it (${added} lines${c.enabled?.to === false ? ", disabled" : ""}).`;
  }
  const enabled = c.enabled ? (c.enabled.to ? "enables" : "disables") : undefined;
  if (!c.sourceChanged) return `${p.name}: applying ${enabled} it${v}.`;
  return `${p.name}: applying changes it${v}: ${added} lines added, ${removed} removed${enabled ? `, and ${enabled} it` : ""}.`;
}

/** The pipeline's name, or undefined after telling the person why there is nothing to do. */
async function nameOf(editor: Editor, api: Client | undefined, doc: PipelineDocument) {
  if (!api) {
    await editor.error(NOT_CONNECTED);
    return undefined;
  }
  const name = pipelineName(doc.text);
  if (!name) await editor.error("This pipeline has no metadata.name.");
  return name;
}

/**
 * Plan: the diff view of the source stored on the server (left, read-only) against the document (right), and
 * the plan in a sentence with an "Apply" button. Nothing is changed unless that button is chosen.
 */
export async function plan(
  editor: Editor,
  api: Client | undefined,
  docs: VirtualDocuments,
  doc: PipelineDocument,
): Promise<void> {
  const name = await nameOf(editor, api, doc);
  if (!api || !name) return;
  let p: DocumentPlan;
  try {
    p = await planDocument(api, name, doc);
  } catch (err) {
    await editor.error(`${name}: ${describeError(err)}`);
    return;
  }
  if (!p.change) {
    await editor.info(describePlan(p));
    return;
  }
  const server = docs.set(`server/${name}.latchflow.yaml`, p.stored);
  const left =
    p.version === undefined ? `${name} (not on the server)` : `${name} on the server (version ${p.version})`;
  await editor.diff(server, doc.uri, `${left} ↔ ${doc.label}`);
  if ((await editor.info(describePlan(p), "Apply")) === "Apply") await apply(editor, api, doc);
}

/** Apply: plans, asks, checks nothing changed on the server meanwhile, then stores the document. */
export async function apply(editor: Editor, api: Client | undefined, doc: PipelineDocument): Promise<void> {
  const name = await nameOf(editor, api, doc);
  if (!api || !name) return;
  try {
    const p = await planDocument(api, name, doc);
    if (!p.change) {
      await editor.info(describePlan(p));
      return;
    }
    if (!(await editor.confirm(describePlan(p), "Apply"))) return;
    const changed = await changedSincePlan(api, p.plan);
    if (changed) {
      await editor.error(
        `${name} changed on the server meanwhile (${changed.was} → ${changed.is}); nothing was applied: plan again.`,
      );
      return;
    }
    const applied = await applyChange(api, p.change, doc.text);
    await editor.info(
      `${name}: applied, now version ${applied.version}${applied.enabled ? "" : " (disabled)"}.`,
    );
  } catch (err) {
    await editor.error(`${name}: ${describeError(err)}`);
  }
}

/** A payload typed as JSON: undefined when it is valid (or empty: no payload), else why not. */
export function checkPayload(text: string): string | undefined {
  if (text.trim() === "") return undefined;
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    return `Not JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Run (through the pipeline's `manual@1` trigger): asks first, or with `withPayload` asks for a JSON payload
 * (checked as it is typed; the server checks it against the trigger's payloadSchema). Offers the run's steps.
 */
export async function run(
  editor: Editor,
  api: Client | undefined,
  docs: VirtualDocuments,
  doc: PipelineDocument,
  withPayload = false,
): Promise<void> {
  const name = await nameOf(editor, api, doc);
  if (!api || !name) return;
  let payload: unknown;
  if (withPayload) {
    const text = await editor.ask({
      prompt: `Payload for ${name} as JSON (it becomes trigger.payload.payload); empty for none`,
      placeholder: '{ "note": "for Bob" }',
      value: "{}",
      validate: checkPayload,
    });
    if (text === undefined || checkPayload(text)) return;
    payload = text.trim() === "" ? undefined : JSON.parse(text);
  } else if (!(await editor.confirm(`Run ${name} now?`, "Run"))) {
    return;
  }
  try {
    const started = await api.startPipelineRun({
      params: { name },
      body: payload === undefined ? {} : { payload },
    });
    const action = await editor.info(`${name}: run ${started.id} started (${started.status}).`, "Show steps");
    if (action === "Show steps") await showRun(editor, api, docs, name, started.id);
  } catch (err) {
    await editor.error(`${name}: ${describeError(err)}`);
  }
}
