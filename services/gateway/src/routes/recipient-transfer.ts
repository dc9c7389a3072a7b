import { Readable } from "node:stream";
import { operations, schemas } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import { validationFailed } from "@latchflow/runtime";
import type { Context } from "koa";
import type { GatewayClients } from "../clients.js";
import { csvLine, parseCsv } from "../csv.js";
import { implement } from "../route.js";

function rowsFromCsv(text: string): schemas.RecipientRow[] {
  let table: string[][];
  try {
    table = parseCsv(text);
  } catch (err) {
    throw validationFailed(`Malformed CSV: ${(err as Error).message}`);
  }
  const [header, ...rows] = table;
  const columns = (header ?? []).map((h) => h.trim().toLowerCase());
  const at = (name: string) => columns.indexOf(name);
  if (at("email") < 0)
    throw validationFailed("The CSV needs a header row with an email column (and optional name, enabled)");
  return rows.map((r, i) => {
    const enabled = at("enabled") >= 0 ? (r[at("enabled")] ?? "").trim().toLowerCase() : "";
    if (enabled && !["true", "false", "yes", "no", "1", "0"].includes(enabled)) {
      throw validationFailed(`Line ${i + 2}: enabled must be true or false`, { line: i + 2 });
    }
    return {
      email: (r[at("email")] ?? "").trim(),
      ...(at("name") >= 0 ? { name: (r[at("name")] ?? "").trim() } : {}),
      ...(enabled ? { enabled: ["true", "yes", "1"].includes(enabled) } : {}),
    };
  });
}

async function readText(koa: Context, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of koa.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw validationFailed(`The file is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function allRecipients(
  clients: GatewayClients,
  ctx: Parameters<GatewayClients["auth"]["listRecipients"]>[1],
) {
  const out: authV1.Recipient[] = [];
  let cursor = "";
  do {
    const page = await clients.auth.listRecipients({ query: "", page: { cursor, limit: 200 } }, ctx);
    out.push(...page.recipients);
    cursor = page.page?.nextCursor ?? "";
  } while (cursor);
  return out;
}

/** Recipient import (CSV with a header row, or a JSON array) and export (CSV or JSON). */
export function recipientTransferRoutes(clients: GatewayClients, bodyLimitBytes: number) {
  return [
    implement(operations.importRecipients, async ({ ctx, koa }) => {
      let rows: unknown;
      if (koa.is("text/csv")) rows = rowsFromCsv(await readText(koa, bodyLimitBytes * 10));
      else if (koa.is("application/json")) rows = (koa.request as { body?: unknown }).body;
      else throw validationFailed("Send text/csv or application/json");
      const parsed = schemas.RecipientImport.safeParse(rows);
      if (!parsed.success) {
        throw validationFailed("Invalid rows", {
          issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
        });
      }
      const res = await clients.auth.importRecipients(
        {
          recipients: parsed.data.map((r) => ({
            email: r.email,
            name: r.name ?? "",
            ...(r.enabled !== undefined ? { enabled: r.enabled } : {}),
          })),
        },
        ctx,
      );
      const counts: schemas.RecipientImportResult = {
        created: res.created,
        updated: res.updated,
        unchanged: res.unchanged,
      };
      return { status: 200, body: counts };
    }),
    implement(operations.exportRecipients, async ({ query, ctx, koa }) => {
      const all = await allRecipients(clients, ctx);
      const rows = all.map(
        (r): schemas.RecipientExportRow => ({ email: r.email, name: r.name, enabled: r.enabled }),
      );
      if (query.format === "json") return { status: 200, body: rows };
      koa.set("Content-Disposition", 'attachment; filename="recipients.csv"');
      koa.type = "text/csv; charset=utf-8";
      const text = [
        csvLine(["email", "name", "enabled"]),
        ...rows.map((r) => csvLine([r.email, r.name, String(r.enabled)])),
      ].join("\r\n");
      return { status: 200, stream: Readable.from([`${text}\r\n`]) };
    }),
  ];
}
