import type { schemas } from "@latchflow/api";

type Recipient = schemas.Recipient;
type Preview = schemas.RecipientImportPreview;

/** The display name of a recipient: their name, else their address. */
export const recipientLabel = (r: Pick<Recipient, "name" | "email">) => r.name.trim() || r.email;

/** Whether a recipient matches what was typed in the search: every word in the address or the name, any case. */
export function matchesSearch(r: Pick<Recipient, "name" | "email">, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const text = `${r.email} ${r.name}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

export type ImportFormat = "csv" | "json";

/**
 * How to send an import file: JSON by its name or type, else by its first character (`[`), CSV otherwise (the
 * server reads it and answers every problem).
 */
export function importFormat(file: { name: string; type: string }, text: string): ImportFormat {
  const name = file.name.toLowerCase();
  if (name.endsWith(".json") || file.type === "application/json") return "json";
  if (name.endsWith(".csv") || file.type === "text/csv") return "csv";
  return text.trimStart().startsWith("[") ? "json" : "csv";
}

export const CONTENT_TYPES: Record<ImportFormat, string> = {
  csv: "text/csv",
  json: "application/json",
};

const count = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

/** What a clean import would do, in words: "2 to add, 1 to update, 3 unchanged". */
export function planSummary(p: Pick<Preview, "created" | "updated" | "unchanged">): string {
  const parts = [
    p.created ? `${p.created.toLocaleString("en")} to add` : "",
    p.updated ? `${p.updated.toLocaleString("en")} to update` : "",
    p.unchanged ? `${p.unchanged.toLocaleString("en")} unchanged` : "",
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "nothing to change";
}

/** What an import did, in words: "2 added, 1 updated, 3 unchanged". */
export function importedSummary(r: schemas.RecipientImportResult): string {
  return `${r.created.toLocaleString("en")} added, ${r.updated.toLocaleString("en")} updated, ${r.unchanged.toLocaleString("en")} unchanged`;
}

/** Why the import may not run yet (the button says it), or undefined when it may. */
export function importBlocked(
  p: Pick<Preview, "errors" | "rows" | "created" | "updated">,
): string | undefined {
  if (p.errors.length) {
    const lines = new Set(p.errors.map((e) => e.line)).size;
    return `Fix the ${count(p.errors.length, "problem")} on ${count(lines, "line")} of the file, then choose it again: nothing is imported while any row is wrong.`;
  }
  if (p.rows === 0) return "The file has no recipients in it.";
  if (p.created + p.updated === 0)
    return "Every recipient in the file is already here as written: nothing to change.";
  return undefined;
}

/** What an import problem is about, in words. */
export function problemPlace(field: schemas.RecipientImportError["field"]): string {
  const words = { file: "Whole file", row: "Whole row", email: "Email", name: "Name", enabled: "Enabled" };
  return words[field];
}

/** The changes of one import row, in words. */
export function changeWords(c: schemas.RecipientImportChange): string {
  if (c.action === "create") return "Will be added";
  if (c.action === "unchanged" || !c.previous) return "Already here as written";
  const parts = c.changes.map((field) =>
    field === "name"
      ? `name “${c.previous?.name || "—"}” → “${c.name}”`
      : c.enabled
        ? "will be enabled"
        : "will be disabled",
  );
  return parts.join("; ");
}

/** The name a downloaded export gets: recipients-2026-12-06.csv. */
export function exportFileName(format: ImportFormat, now: Date): string {
  const day = [now.getFullYear(), now.getMonth() + 1, now.getDate()]
    .map((n) => String(n).padStart(2, "0"))
    .join("-");
  return `recipients-${day}.${format}`;
}
