import { Readable } from "node:stream";
import { operations, type schemas } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import { validationFailed } from "@latchflow/runtime";
import type { Context } from "koa";
import type { GatewayClients } from "../clients.js";
import { csvLine } from "../csv.js";
import { inFileOrder, readImportFile } from "../recipient-import.js";
import { implement } from "../route.js";

async function readText(koa: Context, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of koa.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw validationFailed(
        `The file is larger than ${(limit / 1_048_576).toFixed(1)} MiB: split it into smaller files`,
        { limitBytes: limit },
      );
    }
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

type CallContext = Parameters<GatewayClients["auth"]["importRecipients"]>[1];

/**
 * Reads the file, checks its form here (lines, columns, JSON) and its addresses in the auth service, which plans
 * each good row and writes them all unless `dryRun` or any problem (one transaction: all or nothing).
 */
async function checkImport(
  clients: GatewayClients,
  ctx: CallContext,
  koa: Context,
  bodyLimitBytes: number,
  dryRun: boolean,
): Promise<{ preview: schemas.RecipientImportPreview }> {
  const format = koa.is("text/csv") ? "csv" : koa.is("application/json") ? "json" : undefined;
  if (!format) throw validationFailed("Send text/csv or application/json");
  const file = readImportFile(await readText(koa, bodyLimitBytes * 10), format);
  const res = await clients.auth.importRecipients(
    {
      recipients: file.rows.map((r) => ({
        email: r.email,
        name: r.name,
        line: r.line,
        ...(r.enabled !== undefined ? { enabled: r.enabled } : {}),
      })),
      // a problem of form anywhere refuses the whole file: the addresses are still checked, nothing written
      dryRun: dryRun || file.errors.length > 0,
    },
    ctx,
  );
  const errors = [
    ...file.errors,
    ...res.problems.map((p): schemas.RecipientImportError => {
      const row = file.rows[p.index]!;
      return {
        line: row.line,
        row: row.row,
        field: p.field === "name" ? "name" : "email",
        message: p.message,
      };
    }),
  ];
  const refused = new Set(errors.map((e) => e.row));
  const changes = res.plan
    .map((p) => ({ p, row: file.rows[p.index]! }))
    .filter(({ row }) => !refused.has(row.row))
    .map(
      ({ p, row }): schemas.RecipientImportChange => ({
        line: row.line,
        row: row.row,
        email: p.email,
        name: p.name,
        enabled: p.enabled,
        action: p.action === "create" ? "create" : p.action === "update" ? "update" : "unchanged",
        changes: p.changes.filter((c): c is "name" | "enabled" => c === "name" || c === "enabled"),
        previous: p.action === "create" ? null : { name: p.previousName, enabled: p.previousEnabled },
      }),
    );
  const count = (action: schemas.RecipientImportChange["action"]) =>
    changes.filter((c) => c.action === action).length;
  return {
    preview: {
      format,
      rows: file.total,
      created: count("create"),
      updated: count("update"),
      unchanged: count("unchanged"),
      errors: inFileOrder(errors),
      changes,
    },
  };
}

/** Recipient import (CSV with a header row, or a JSON array) and export (CSV or JSON). */
export function recipientTransferRoutes(clients: GatewayClients, bodyLimitBytes: number) {
  return [
    implement(operations.previewRecipientImport, async ({ ctx, koa }) => ({
      status: 200,
      body: (await checkImport(clients, ctx, koa, bodyLimitBytes, true)).preview,
    })),
    implement(operations.importRecipients, async ({ ctx, koa }) => {
      const { preview } = await checkImport(clients, ctx, koa, bodyLimitBytes, false);
      if (preview.errors.length) {
        const n = preview.errors.length;
        throw validationFailed(
          `Nothing was imported: the file has ${n === 1 ? "a problem" : `${n} problems`} to fix first (details.errors)`,
          { errors: preview.errors },
        );
      }
      const counts: schemas.RecipientImportResult = {
        created: preview.created,
        updated: preview.updated,
        unchanged: preview.unchanged,
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
