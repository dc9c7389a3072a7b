import { Readable } from "node:stream";
import type { authV1 } from "@latchflow/proto";
import { Scope, validationFailed } from "@latchflow/runtime";
import type { Context } from "koa";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { csvLine, parseCsv } from "../csv.js";
import { defineRoute } from "../route.js";
import { errorResponses } from "../schemas.js";

const MAX_ROWS = 10_000;
const Row = z.strictObject({
  email: z.string().trim().min(3).max(320),
  name: z.string().max(200).optional(),
  enabled: z.boolean().optional(),
});

function rowsFromCsv(text: string): z.infer<typeof Row>[] {
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
  const tag = "recipients";
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/recipients/import",
      operationId: "importRecipients",
      summary:
        "Create or update recipients by email from CSV (email,name,enabled) or a JSON array; all or nothing",
      tag,
      access: { kind: "user", scope: Scope.RecipientsWrite },
      responses: {
        200: {
          description: "Counts",
          schema: z.object({ created: z.number(), updated: z.number(), unchanged: z.number() }),
        },
        ...errorResponses,
      },
      handler: async ({ ctx, koa }) => {
        let rows: unknown;
        if (koa.is("text/csv")) rows = rowsFromCsv(await readText(koa, bodyLimitBytes * 10));
        else if (koa.is("application/json")) rows = (koa.request as { body?: unknown }).body;
        else throw validationFailed("Send text/csv or application/json");
        const parsed = z.array(Row).max(MAX_ROWS).safeParse(rows);
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
        return { status: 200, body: res };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/recipients/export",
      operationId: "exportRecipients",
      summary: "Every recipient as CSV (?format=csv, default) or JSON",
      tag,
      access: { kind: "user", scope: Scope.RecipientsRead },
      query: z.strictObject({ format: z.enum(["csv", "json"]).optional() }),
      responses: { 200: { description: "text/csv or application/json" }, ...errorResponses },
      handler: async ({ query, ctx, koa }) => {
        const all = await allRecipients(clients, ctx);
        const rows = all.map((r) => ({ email: r.email, name: r.name, enabled: r.enabled }));
        if (query.format === "json") return { status: 200, body: rows };
        koa.set("Content-Disposition", 'attachment; filename="recipients.csv"');
        koa.type = "text/csv; charset=utf-8";
        const text = [
          csvLine(["email", "name", "enabled"]),
          ...rows.map((r) => csvLine([r.email, r.name, String(r.enabled)])),
        ].join("\r\n");
        return { status: 200, stream: Readable.from([`${text}\r\n`]) };
      },
    }),
  ];
}
