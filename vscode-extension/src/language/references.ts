// Bundles and recipients from a connected server: completion where a step's `with.bundle` / `with.recipients[]`
// is being typed (the same fields @latchflow/spec's reference check reads), and the resolved one on hover.
import { isSeq } from "yaml";
import { type CursorContext, cursorContext, type Path } from "./context.js";
import { parseText, scalarAt } from "./document.js";
import { type CompletionItem, CompletionItemKind, type Hover, type Position } from "./types.js";

export interface DirectoryBundle {
  id: string;
  name: string;
  description?: string;
  enabled: boolean;
}

export interface DirectoryRecipient {
  id: string;
  email: string;
  name: string;
  enabled: boolean;
}

/** The bundles and recipients a connected server lists (the server fetches them; these functions stay pure). */
export interface Directory {
  bundles: DirectoryBundle[];
  recipients: DirectoryRecipient[];
}

const md = (value: string) => ({ kind: "markdown" as const, value });

/** Which reference a path names: a step's `with.bundle`, or an entry of its `with.recipients`. */
export function referenceKind(path: Path): "bundle" | "recipient" | undefined {
  const [a, section, index, w, key, entry] = path;
  if (a !== "spec" || section !== "steps" || typeof index !== "number" || w !== "with") return undefined;
  if (key === "bundle" && path.length === 5) return "bundle";
  if (key === "recipients" && (path.length === 5 || (path.length === 6 && typeof entry === "number")))
    return "recipient";
  return undefined;
}

const enabledWord = (enabled: boolean) => (enabled ? "enabled" : "disabled");

/**
 * Completion of bundle names (`bundle: ‸`) and recipient emails (`recipients: [‸]`, `- ‸` under `recipients:`);
 * undefined where no reference is being typed (the schema-driven completion applies then).
 */
export function completeReferences(
  text: string,
  position: Position,
  directory: Directory,
): CompletionItem[] | undefined {
  const parsed = parseText(text);
  const offset = parsed.lines.offsetAt(position);
  const ctx = cursorContext(parsed.lines, offset);
  const kind = referenceKind(ctx.path);
  if (!kind) return undefined;
  const replace = parsed.lines.range(ctx.prefixStart, offset);
  if (kind === "bundle") {
    return directory.bundles.map((b) => ({
      label: b.name,
      kind: CompletionItemKind.Value,
      detail: `bundle · ${enabledWord(b.enabled)}`,
      documentation: md(bundleText(b)),
      textEdit: { range: replace, newText: b.name },
      sortText: `${b.enabled ? 0 : 1}${b.name}`,
    }));
  }
  const listed = listedRecipients(ctx, parsed.doc.getIn(ctx.path.slice(0, 5), true));
  // `recipients: ‸` with nothing written yet: the value must be a list
  const bare = ctx.valueKey === "recipients" && !ctx.valueText.trimStart().startsWith("[");
  return directory.recipients
    .filter((r) => !listed.has(r.email.toLowerCase()) && !listed.has(r.id.toLowerCase()))
    .map((r) => ({
      label: r.email,
      kind: CompletionItemKind.Value,
      detail: `${r.name ? `${r.name} · ` : ""}${enabledWord(r.enabled)}`,
      documentation: md(recipientText(r)),
      filterText: `${r.email} ${r.name} ${r.id}`,
      textEdit: { range: replace, newText: bare ? `[${r.email}]` : r.email },
      sortText: `${r.enabled ? 0 : 1}${r.email}`,
    }));
}

/** Emails and ids already in the list (the word being typed aside), lowercased. */
function listedRecipients(ctx: CursorContext, list: unknown): Set<string> {
  const out = new Set<string>();
  if (isSeq(list)) {
    for (const item of list.items) {
      const v = (item as { value?: unknown } | null)?.value;
      if (typeof v === "string" && v !== ctx.prefix) out.add(v.toLowerCase());
    }
  }
  return out;
}

/** The bundle or recipient a `with.bundle` / `with.recipients[]` value names, resolved on the server. */
export function referenceHover(text: string, position: Position, directory: Directory): Hover | undefined {
  const parsed = parseText(text);
  const at = scalarAt(parsed.doc, parsed.lines.offsetAt(position));
  if (!at || at.key || !at.node.range || typeof at.node.value !== "string") return undefined;
  const kind = referenceKind(at.path);
  if (!kind || (kind === "recipient" && at.path.length !== 6)) return undefined;
  const range = parsed.lines.range(at.node.range[0], at.node.range[1]);
  const name = at.node.value;
  if (kind === "bundle") {
    const b = directory.bundles.find((x) => x.name === name);
    return { contents: md(b ? bundleText(b) : `No bundle named \`${name}\` on the server.`), range };
  }
  const r = directory.recipients.find((x) => x.id === name || x.email.toLowerCase() === name.toLowerCase());
  return { contents: md(r ? recipientText(r) : `No recipient \`${name}\` on the server.`), range };
}

function bundleText(b: DirectoryBundle): string {
  return [
    `**bundle \`${b.name}\`** — ${enabledWord(b.enabled)}`,
    `id \`${b.id}\``,
    ...(b.description ? [b.description] : []),
  ].join("\n\n");
}

function recipientText(r: DirectoryRecipient): string {
  return [
    `**recipient ${r.name ? `${r.name} <${r.email}>` : r.email}** — ${enabledWord(r.enabled)}`,
    `id \`${r.id}\``,
  ].join("\n\n");
}
