import { audit } from "@latchflow/cli";
import { run } from "@latchflow/cli/testing";
import { waitFor } from "@latchflow/testing";
import { expect } from "vitest";
import type { Stack } from "../stack.js";

export interface AuditItem {
  id: string;
  tenant: string;
  seq: number;
  type: string;
  occurredAt: string;
  recordedAt: string;
  actor: { kind: string; id: string };
  subjectIds: Record<string, string>;
  requestId: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** GET /api/v1/audit with a query string; asserts 200. */
export async function auditPage(s: Stack, query = "", token?: string): Promise<Page<AuditItem>> {
  const res = await s.api("GET", `/api/v1/audit${query ? `?${query}` : ""}`, token ? { token } : {});
  expect(res.status, res.text).toBe(200);
  return res.body as Page<AuditItem>;
}

/** Every record of the log (all pages), newest first. */
export async function auditAll(s: Stack, query = ""): Promise<AuditItem[]> {
  const out: AuditItem[] = [];
  let cursor: string | null = "";
  while (cursor !== null) {
    const page = await auditPage(
      s,
      `limit=200${query ? `&${query}` : ""}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    out.push(...page.items);
    cursor = page.nextCursor;
  }
  return out;
}

/** Waits until a record of `type` matching `match` is in the log, and returns it. */
export function recorded(
  s: Stack,
  type: string,
  match: (r: AuditItem) => boolean = () => true,
): Promise<AuditItem> {
  return waitFor(async () => (await auditPage(s, `type=${type}&limit=200`)).items.find(match), {
    timeoutMs: 15_000,
    description: `a ${type} audit record`,
  });
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
