// Pipelines as code against a server: the plan (what applying documents would create, update and delete, with a
// unified diff of each YAML source) and applying one planned change. One implementation for the CLI
// (`latchflow pipelines plan|apply`, which adds printing, confirmation and its exit codes) and the VS Code
// extension (Plan as a diff view, Apply). What is compared and how deletes are proposed: ADR 018. Plain code
// over the typed client (no zod: the CLI keeps the zod schemas of its `--json` output).
import { createTwoFilesPatch } from "diff";
import type { AnyClient } from "./client.js";
import type { Capability } from "./operations/plugins.js";

/** A pipeline document to plan: where it comes from, its `metadata.name` and its stated `spec.enabled`. */
export interface PlanInput {
  file: string;
  /** null when the document has no name (it is left out of the plan) */
  name: string | null;
  text: string;
  /** `spec.enabled` when the document states it */
  enabled?: boolean | undefined;
}

/** A pipeline's state on the server, as a change was planned against it. */
export interface ServerState {
  version: number;
  enabled: boolean;
}

/** One change of a plan. */
export interface PlannedChange {
  name: string;
  action: "create" | "update" | "delete";
  /** the file that declares it; null for a delete */
  file: string | null;
  /** the server's pipeline the change was planned against; null for a create */
  server: ServerState | null;
  /** whether the YAML source changes (a new version); false when only `enabled` changes */
  sourceChanged: boolean;
  /** the enabled state that changes; null when it does not */
  enabled: { from: boolean | null; to: boolean } | null;
  /** unified diff of the YAML source, server's (a/) → file's (b/); empty when the source is the same */
  diff: string;
}

export interface Plan {
  changes: PlannedChange[];
  unchanged: { name: string; file: string; version: number }[];
  /** on the server but in none of the files, and kept (without prune) */
  untracked: string[];
  summary: { create: number; update: number; delete: number };
}

/** What applying one change did. */
export interface AppliedChange {
  name: string;
  action: PlannedChange["action"];
  /** the version now stored; null after a delete */
  version: number | null;
  enabled: boolean | null;
}

/** A pipeline's source exactly as stored (GET …/pipelines/{name} answers YAML, not JSON). */
export async function storedSource(api: AnyClient, name: string): Promise<string> {
  const answer: unknown = await api.getPipeline({ params: { name } });
  if (typeof (answer as { text?: unknown }).text !== "function") {
    throw new Error("the server sent JSON where YAML was asked for");
  }
  return await (answer as { text(): Promise<string> }).text();
}

/** Every pipeline on the server by name, with its version and enabled state. */
export async function serverPipelines(api: AnyClient): Promise<Map<string, ServerState>> {
  const { items } = await api.listPipelines();
  return new Map(items.map((p) => [p.name, { version: p.version, enabled: p.enabled }]));
}

function sourceDiff(name: string, from: string, to: string, fromLabel: string, toLabel: string): string {
  if (from === to) return "";
  const patch = createTwoFilesPatch(
    from === "" && fromLabel === "" ? "/dev/null" : `a/${name}`,
    to === "" && toLabel === "" ? "/dev/null" : `b/${name}`,
    from,
    to,
    fromLabel,
    toLabel,
    { context: 3 },
  );
  // drop the "=====" separator line createTwoFilesPatch starts with
  return patch.slice(patch.indexOf("\n") + 1);
}

/** Lines added and removed by a unified diff (its `---`/`+++` headers aside). */
export function diffStats(diff: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff.split("\n")) {
    if (line.startsWith("+") && !line.startsWith("+++")) added++;
    else if (line.startsWith("-") && !line.startsWith("---")) removed++;
  }
  return { added, removed };
}

/**
 * Compares the documents with the server: a document whose pipeline is missing is a create; one whose text
 * differs from the stored source (byte for byte), or whose `spec.enabled` differs from the server's state, an
 * update; with `prune`, a server pipeline in none of the documents is a delete. Also answers the stored sources
 * it compared against (by name; those of the pipelines the documents name and, with prune, of the deletes).
 */
export async function comparePipelines(
  api: AnyClient,
  files: readonly PlanInput[],
  prune: boolean,
): Promise<{ plan: Plan; stored: ReadonlyMap<string, string> }> {
  const server = await serverPipelines(api);
  const stored = new Map<string, string>();
  const changes: PlannedChange[] = [];
  const unchanged: Plan["unchanged"] = [];
  const named = files.filter((f): f is PlanInput & { name: string } => f.name !== null);
  const sources = await Promise.all(
    named.map((f) => (server.has(f.name) ? storedSource(api, f.name) : Promise.resolve(undefined))),
  );
  named.forEach((f, i) => {
    const current = server.get(f.name);
    const source = sources[i];
    if (!current || source === undefined) {
      changes.push({
        name: f.name,
        action: "create",
        file: f.file,
        server: null,
        sourceChanged: true,
        enabled: { from: null, to: f.enabled ?? true },
        diff: sourceDiff(f.name, "", f.text, "", f.file),
      });
      return;
    }
    stored.set(f.name, source);
    const enabled =
      f.enabled !== undefined && f.enabled !== current.enabled
        ? { from: current.enabled, to: f.enabled }
        : null;
    if (source === f.text && !enabled) {
      unchanged.push({ name: f.name, file: f.file, version: current.version });
      return;
    }
    changes.push({
      name: f.name,
      action: "update",
      file: f.file,
      server: current,
      sourceChanged: source !== f.text,
      enabled,
      diff: sourceDiff(f.name, source, f.text, `server, version ${current.version}`, f.file),
    });
  });
  const declared = new Set(named.map((f) => f.name));
  const extra = [...server.keys()].filter((n) => !declared.has(n)).sort();
  if (prune) {
    const sources = await Promise.all(extra.map((n) => storedSource(api, n)));
    extra.forEach((name, i) => {
      const current = server.get(name)!;
      stored.set(name, sources[i]!);
      changes.push({
        name,
        action: "delete",
        file: null,
        server: current,
        sourceChanged: true,
        enabled: null,
        diff: sourceDiff(name, sources[i]!, "", `server, version ${current.version}`, ""),
      });
    });
  }
  const count = (a: PlannedChange["action"]) => changes.filter((c) => c.action === a).length;
  return {
    plan: {
      changes,
      unchanged,
      untracked: prune ? [] : extra,
      summary: { create: count("create"), update: count("update"), delete: count("delete") },
    },
    stored,
  };
}

/** {@link comparePipelines}' plan alone. */
export async function computePlan(
  api: AnyClient,
  files: readonly PlanInput[],
  prune: boolean,
): Promise<Plan> {
  return (await comparePipelines(api, files, prune)).plan;
}

/** A planned pipeline that changed on the server since the plan: its planned and its current state. */
export interface ChangedSincePlan {
  name: string;
  /** `version 3` or `absent` */
  was: string;
  /** `version 4`, `version 4, disabled` or `deleted` */
  is: string;
}

/**
 * The first pipeline of the plan that changed on the server since it was planned (another version, another
 * enabled state, created or deleted), or undefined. The server takes no If-Match on PUT (ADR 018), so callers
 * check this right before sending the changes.
 */
export async function changedSincePlan(api: AnyClient, plan: Plan): Promise<ChangedSincePlan | undefined> {
  const now = await serverPipelines(api);
  for (const c of plan.changes) {
    const current = now.get(c.name) ?? null;
    const same =
      current === null
        ? c.server === null
        : c.server !== null && c.server.version === current.version && c.server.enabled === current.enabled;
    if (!same) {
      return {
        name: c.name,
        was: c.server ? `version ${c.server.version}` : "absent",
        is: current ? `version ${current.version}${current.enabled ? "" : ", disabled"}` : "deleted",
      };
    }
  }
  return undefined;
}

/** Sends one planned change: deletes, or stores the source (when it changed) and then the enabled state. */
export async function applyChange(api: AnyClient, c: PlannedChange, source: string): Promise<AppliedChange> {
  const params = { name: c.name };
  if (c.action === "delete") {
    await api.deletePipeline({ params });
    return { name: c.name, action: c.action, version: null, enabled: null };
  }
  let p: { version: number; enabled: boolean } | undefined;
  if (c.sourceChanged) {
    p = await api.putPipeline({ params, body: source, contentType: "application/yaml" });
  }
  if (c.enabled && p?.enabled !== c.enabled.to) {
    p = await api.setPipelineEnabled({ params, body: { enabled: c.enabled.to } });
  }
  if (!p) throw new Error(`nothing to apply for ${c.name}`);
  return { name: c.name, action: c.action, version: p.version, enabled: p.enabled };
}

/** What the pipeline validator needs of one capability (structurally @latchflow/spec's CapabilityDescriptor). */
export interface CatalogEntry {
  kind: "trigger" | "action";
  configSchema: Record<string, unknown>;
  outputsSchema: Record<string, unknown>;
  docs: string;
  replacedBy?: string;
}

/** The validator's two catalogs of the server's capabilities, keyed by `uses`. */
export interface CapabilityCatalogs {
  /** the enabled ones, as the server's own validator sees them */
  capabilities: Record<string, CatalogEntry>;
  /** installed but disabled: a pipeline naming one gets `capability_disabled` (409 on save), not `unknown_capability` */
  disabled: Record<string, CatalogEntry>;
}

/** The server's capabilities (`GET /api/v1/capabilities`) as the validator's catalogs, with a deprecated major's replacement. */
export function capabilityCatalogs(items: readonly Capability[]): CapabilityCatalogs {
  const entries = (enabled: boolean) =>
    Object.fromEntries(
      items
        .filter((c) => c.enabled === enabled)
        .map((c) => [
          c.uses,
          {
            kind: c.kind,
            configSchema: c.configSchema,
            outputsSchema: c.outputsSchema,
            docs: c.docs,
            ...(c.replacedBy ? { replacedBy: c.replacedBy } : {}),
          },
        ]),
    );
  return { capabilities: entries(true), disabled: entries(false) };
}
