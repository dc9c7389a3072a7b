import type { schemas } from "@latchflow/api";
import { audit } from "@latchflow/cli";
import { run } from "@latchflow/cli/testing";
import { waitFor } from "@latchflow/testing";
import type { Stack } from "../stack.js";

/** The filters of GET /api/v1/audit, plus its paging. */
type AuditQuery = schemas.AuditFilter & { limit?: number; cursor?: string };

/** One page of GET /api/v1/audit, as the owner. */
function auditPage(s: Stack, query: AuditQuery) {
  return s.client().listAuditRecords({ query });
}

/** Every record of the log (all pages), newest first. */
export async function auditAll(s: Stack, filter: schemas.AuditFilter = {}): Promise<schemas.AuditRecord[]> {
  const out: schemas.AuditRecord[] = [];
  let cursor: string | null = "";
  while (cursor !== null) {
    const page = await auditPage(s, { ...filter, limit: 200, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor;
  }
  return out;
}

/** Waits until a record of `type` matching `match` is in the log, and returns it. */
export function recorded(
  s: Stack,
  type: string,
  match: (r: schemas.AuditRecord) => boolean = () => true,
): Promise<schemas.AuditRecord> {
  return waitFor(async () => (await auditPage(s, { type, limit: 200 })).items.find(match), {
    timeoutMs: 15_000,
    description: `a ${type} audit record`,
  });
}

/** A record's data (an event's payload, always an object) with its fields readable. */
export function dataOf(r: schemas.AuditRecord): Record<string, unknown> {
  if (typeof r.data !== "object" || r.data === null) throw new Error(`record ${r.id} has no data object`);
  return Object.fromEntries(Object.entries(r.data));
}

/** Runs the `latchflow` command with the stack's configuration; resolves with its exit code and output. */
export async function latchflow(
  s: Stack,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = run(args, s.env);
  const code = await r.exit;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** RFC 4180 CSV rows (quoted fields with "" escapes, CRLF rows), for checking the export's escaping. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

/** The offline verifier (`latchflow audit verify --file … --public-key … --checkpoint-every …`) in this process. */
export async function verifyFile(
  file: string,
  keyFile: string,
  checkpointEvery: number,
): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await audit(
    ["verify", "--file", file, "--public-key", keyFile, "--checkpoint-every", String(checkpointEvery)],
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  return { code, output: lines.join("\n") };
}
