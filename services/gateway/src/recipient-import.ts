import type { schemas } from "@latchflow/api";
import { parseCsv } from "./csv.js";
import { linesOf, parseJsonPositions } from "./json-positions.js";

/** At most this many rows per import (the contract's RecipientImport). */
export const MAX_IMPORT_ROWS = 10_000;

export type ImportFormat = "csv" | "json";

/** A row that reached the address checks (the auth service's): where it is in the file, and its fields. */
export interface ImportRow {
  /** 1-based among the data rows */
  row: number;
  line: number;
  email: string;
  name: string;
  enabled?: boolean;
}

/** An import file read: the rows for the address checks, and every problem of form found on the way. */
export interface ReadImport {
  format: ImportFormat;
  /** data rows in the file */
  total: number;
  rows: ImportRow[];
  errors: schemas.RecipientImportError[];
}

type Field = schemas.RecipientImportError["field"];
const COLUMNS = ["email", "name", "enabled"] as const;
const TRUE = new Set(["true", "yes", "1"]);
const FALSE = new Set(["false", "no", "0"]);

const fileError = (line: number, message: string): schemas.RecipientImportError => ({
  line,
  row: null,
  field: "file",
  message,
});

/** Reads an import file (CSV with a header row, or a JSON array), checking its form; never throws on content. */
export function readImportFile(text: string, format: ImportFormat): ReadImport {
  return format === "csv" ? readCsv(text) : readJson(text);
}

function tooMany(total: number, line: number) {
  return fileError(
    line,
    `The file has ${total.toLocaleString("en")} rows; at most ${MAX_IMPORT_ROWS.toLocaleString("en")} can be imported at once. Split it into smaller files.`,
  );
}

function readCsv(text: string): ReadImport {
  const { records, unterminatedAt } = parseCsv(text);
  const errors: schemas.RecipientImportError[] = [];
  const rows: ImportRow[] = [];
  const [header, ...data] = records;
  if (!header) {
    if (unterminatedAt) errors.push(unterminated(unterminatedAt));
    else errors.push(fileError(1, "The file is empty: it needs a header line naming an email column."));
    return { format: "csv", total: 0, rows, errors };
  }
  const columns = header.fields.map((h) => h.trim().toLowerCase());
  const at = (name: (typeof COLUMNS)[number]) => columns.indexOf(name);
  if (at("email") < 0) {
    errors.push(
      fileError(
        header.line,
        "The first line must name the columns, one of them email (name and enabled are optional), e.g. email,name,enabled.",
      ),
    );
    return { format: "csv", total: data.length, rows, errors };
  }
  data.forEach((record, i) => {
    const row = i + 1;
    if (row > MAX_IMPORT_ROWS) {
      if (row === MAX_IMPORT_ROWS + 1) errors.push(tooMany(data.length, record.line));
      return;
    }
    const problem = (field: Field, message: string) =>
      errors.push({ line: record.line, row, field, message });
    const cell = (name: (typeof COLUMNS)[number]) => (at(name) >= 0 ? (record.fields[at(name)] ?? "") : "");
    if (record.fields.length > columns.length) {
      problem(
        "row",
        `It has ${record.fields.length} fields but the header names ${columns.length} columns: put a field that contains a comma in double quotes.`,
      );
    }
    const enabledText = cell("enabled").trim().toLowerCase();
    let enabled: boolean | undefined;
    if (TRUE.has(enabledText)) enabled = true;
    else if (FALSE.has(enabledText)) enabled = false;
    else if (enabledText !== "") {
      problem(
        "enabled",
        `enabled must be true or false (or yes/no, 1/0), not “${clip(cell("enabled").trim())}”.`,
      );
    }
    rows.push({
      row,
      line: record.line,
      email: cell("email"),
      name: cell("name"),
      ...(enabled !== undefined ? { enabled } : {}),
    });
  });
  if (unterminatedAt) errors.push(unterminated(unterminatedAt));
  return { format: "csv", total: data.length, rows, errors };
}

const unterminated = (line: number) =>
  fileError(
    line,
    "A field opened with a double quote here is never closed: the rest of the file is inside it.",
  );

function readJson(text: string): ReadImport {
  const parsed = parseJsonPositions(text);
  const errors: schemas.RecipientImportError[] = [];
  const rows: ImportRow[] = [];
  if (!parsed.ok) {
    const [line] = linesOf(text, [parsed.offset]);
    errors.push(fileError(line!, `This is not valid JSON: ${parsed.message}`));
    return { format: "json", total: 0, rows, errors };
  }
  if (!Array.isArray(parsed.value) || !parsed.items) {
    const [line] = linesOf(text, [Math.max(0, text.search(/\S/))]);
    errors.push(
      fileError(
        line!,
        'The file must hold an array of recipients: [{"email": "…", "name": "…", "enabled": true}, …].',
      ),
    );
    return { format: "json", total: 0, rows, errors };
  }
  const items = parsed.value as unknown[];
  const lines = linesOf(text, parsed.items);
  items.forEach((item, i) => {
    const row = i + 1;
    const line = lines[i]!;
    if (row > MAX_IMPORT_ROWS) {
      if (row === MAX_IMPORT_ROWS + 1) errors.push(tooMany(items.length, line));
      return;
    }
    const problem = (field: Field, message: string) => errors.push({ line, row, field, message });
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      problem("row", 'Each item must be an object, e.g. {"email": "alice@example.com"}.');
      return;
    }
    const fields = item as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => !(COLUMNS as readonly string[]).includes(k));
    if (unknown.length) {
      problem(
        "row",
        `Unknown ${unknown.length === 1 ? "field" : "fields"} ${unknown.map((k) => `“${clip(k)}”`).join(", ")}: an item has email, and optionally name and enabled.`,
      );
    }
    const { email = "", name = "", enabled } = fields;
    let usable = true;
    if (typeof email !== "string") {
      problem("email", "email must be text in double quotes.");
      usable = false;
    }
    if (typeof name !== "string") {
      problem("name", "name must be text in double quotes.");
      usable = false;
    }
    if (enabled !== undefined && typeof enabled !== "boolean") {
      problem("enabled", "enabled must be true or false (without quotes).");
    }
    if (!usable) return;
    rows.push({
      row,
      line,
      email: email as string,
      name: name as string,
      ...(typeof enabled === "boolean" ? { enabled } : {}),
    });
  });
  return { format: "json", total: items.length, rows, errors };
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

const FIELD_ORDER: Field[] = ["file", "row", "email", "name", "enabled"];

/** Problems in file order: by line, then the whole file's, the row's, then each field's in column order. */
export function inFileOrder(errors: schemas.RecipientImportError[]): schemas.RecipientImportError[] {
  return [...errors].sort(
    (a, b) => a.line - b.line || FIELD_ORDER.indexOf(a.field) - FIELD_ORDER.indexOf(b.field),
  );
}
