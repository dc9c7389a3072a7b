import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, IdParams, PageQuery, page } from "../common.js";
import { defineOperation } from "../operation.js";
import { Scope } from "../scopes.js";

/** Someone bundles are assigned to; signs in to the portal with an emailed code. */
export const Recipient = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Recipient" });
export type Recipient = z.output<typeof Recipient>;

/** One row of an import (a JSON array item, or a CSV line under an `email,name,enabled` header). */
export const RecipientRow = z
  .strictObject({
    email: z.string().trim().min(3).max(320),
    name: z.string().max(200).optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ id: "RecipientRow" });
export type RecipientRow = z.output<typeof RecipientRow>;

/** At most 10,000 rows per import. */
export const RecipientImport = z.array(RecipientRow).max(10_000);
export type RecipientImport = z.output<typeof RecipientImport>;

export const RecipientImportResult = z
  .object({ created: z.number(), updated: z.number(), unchanged: z.number() })
  .meta({ id: "RecipientImportResult" });
export type RecipientImportResult = z.output<typeof RecipientImportResult>;

/** What a problem of an import is about: a field of the row, the row as a whole, or the whole file. */
const ImportField = z.enum(["email", "name", "enabled", "row", "file"]);

/**
 * One problem with an import file: every one is answered at once (the preview's `errors`, a refused import's
 * `details.errors`), in the order of the file.
 */
export const RecipientImportError = z
  .object({
    line: z
      .number()
      .int()
      .min(1)
      .meta({
        description:
          "the line of the file where the row starts (CSV: the physical line, the header being line 1, a quoted " +
          "field's line breaks counted; JSON: the line where the array item starts), or where a problem with " +
          "the whole file was found",
      }),
    row: z
      .number()
      .int()
      .min(1)
      .nullable()
      .meta({ description: "the row's number among the data rows (1 = the first); null = the whole file" }),
    field: ImportField,
    message: z.string(),
  })
  .meta({ id: "RecipientImportError" });
export type RecipientImportError = z.output<typeof RecipientImportError>;

/** What importing one good row does (or would do). */
export const RecipientImportChange = z
  .object({
    line: z.number().int().min(1),
    row: z.number().int().min(1),
    email: z.string().meta({ description: "as stored: trimmed and lower-cased" }),
    name: z.string().meta({ description: "the name after the import" }),
    enabled: z.boolean().meta({ description: "enabled after the import" }),
    action: z.enum(["create", "update", "unchanged"]),
    changes: z.array(z.enum(["name", "enabled"])).meta({ description: "for update: what changes" }),
    previous: z
      .object({ name: z.string(), enabled: z.boolean() })
      .nullable()
      .meta({ description: "the recipient as it is now; null for create" }),
  })
  .meta({ id: "RecipientImportChange" });
export type RecipientImportChange = z.output<typeof RecipientImportChange>;

/** An import checked and planned, nothing written: every problem, and what each good row would do. */
export const RecipientImportPreview = z
  .object({
    format: z.enum(["csv", "json"]),
    rows: z.number().int().meta({ description: "data rows in the file" }),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    errors: z
      .array(RecipientImportError)
      .meta({ description: "every problem, in file order; the import is refused while there is one" }),
    changes: z
      .array(RecipientImportChange)
      .meta({ description: "the rows without a problem, in file order" }),
  })
  .meta({ id: "RecipientImportPreview" });
export type RecipientImportPreview = z.output<typeof RecipientImportPreview>;

/** One recipient as exported (JSON); the CSV export has the same columns. */
export const RecipientExportRow = z
  .object({ email: z.string(), name: z.string(), enabled: z.boolean() })
  .meta({ id: "RecipientExportRow" });
export type RecipientExportRow = z.output<typeof RecipientExportRow>;

const tag = "recipients";
const read = { kind: "user", scope: Scope.RecipientsRead } as const;
const importDescription =
  "The body is text/csv with a header row naming an `email` column (optional `name` and `enabled`: " +
  "true/false, yes/no, 1/0; other columns are ignored), or application/json: an array of RecipientRow. At most " +
  "10,000 rows and 10 times the body limit; the handler reads the body itself.";
const write = { kind: "user", scope: Scope.RecipientsWrite } as const;
const recipientResource = { type: "recipient", param: "id" } as const;
const notFound = { 404: { description: "No such recipient", schema: ErrorBody } } as const;

export const createRecipient = defineOperation({
  method: "post",
  path: "/api/v1/recipients",
  operationId: "createRecipient",
  summary: "Add a recipient",
  tag,
  access: write,
  body: z
    .strictObject({
      email: z.string().trim().min(3).max(320),
      name: z.string().max(200).optional(),
      enabled: z.boolean().optional(),
    })
    .meta({ id: "CreateRecipient" }),
  responses: {
    201: { description: "Created", schema: Recipient },
    409: { description: "Email taken", schema: ErrorBody },
    ...bodyErrorResponses,
    ...errorResponses,
  },
});

export const listRecipients = defineOperation({
  method: "get",
  path: "/api/v1/recipients",
  operationId: "listRecipients",
  summary: "List recipients (search with ?q=)",
  tag,
  access: read,
  query: PageQuery.extend({ q: z.string().max(200).optional() }),
  responses: {
    200: { description: "A page of recipients", schema: page(Recipient) },
    ...errorResponses,
  },
});

export const getRecipient = defineOperation({
  method: "get",
  path: "/api/v1/recipients/:id",
  operationId: "getRecipient",
  summary: "Get one recipient",
  tag,
  access: { ...read, resource: recipientResource },
  params: IdParams,
  responses: { 200: { description: "The recipient", schema: Recipient }, ...notFound, ...errorResponses },
});

export const updateRecipient = defineOperation({
  method: "patch",
  path: "/api/v1/recipients/:id",
  operationId: "updateRecipient",
  summary: "Rename, enable or disable a recipient",
  tag,
  access: { ...write, resource: recipientResource },
  params: IdParams,
  body: z
    .strictObject({ name: z.string().max(200).optional(), enabled: z.boolean().optional() })
    .meta({ id: "UpdateRecipient" }),
  responses: {
    200: { description: "Updated", schema: Recipient },
    ...notFound,
    ...bodyErrorResponses,
    ...errorResponses,
  },
});

export const deleteRecipient = defineOperation({
  method: "delete",
  path: "/api/v1/recipients/:id",
  operationId: "deleteRecipient",
  summary: "Remove a recipient (refused while bundles are assigned to them)",
  tag,
  access: { ...write, resource: recipientResource },
  params: IdParams,
  responses: {
    200: { description: "Removed", schema: Recipient },
    409: { description: "Still has assignments (details.assignmentIds)", schema: ErrorBody },
    ...notFound,
    ...errorResponses,
  },
});

export const importRecipients = defineOperation({
  method: "post",
  path: "/api/v1/recipients/import",
  operationId: "importRecipients",
  summary:
    "Create or update recipients by email from CSV (email,name,enabled) or a JSON array; all or nothing",
  description: `${importDescription} The same checks as previewRecipientImport: with any problem nothing is written.`,
  tag,
  access: write,
  bodyTypes: ["csv", "json"],
  responses: {
    200: { description: "Counts", schema: RecipientImportResult },
    ...errorResponses,
    422: {
      description:
        "Neither CSV nor JSON, or a file over the size limit; or any problem in the file: details.errors lists " +
        "every one (RecipientImportError) and nothing was written",
      schema: ErrorBody,
    },
  },
});

export const previewRecipientImport = defineOperation({
  method: "post",
  path: "/api/v1/recipients/import/preview",
  operationId: "previewRecipientImport",
  summary: "Check an import file and say what it would do, writing nothing",
  description: `${importDescription} Answers every problem with its line, and what each good row would do (create, update, unchanged).`,
  tag,
  access: write,
  bodyTypes: ["csv", "json"],
  responses: {
    200: { description: "The problems and the plan", schema: RecipientImportPreview },
    ...errorResponses,
    422: { description: "Neither CSV nor JSON, or a file over the size limit", schema: ErrorBody },
  },
});

export const exportRecipients = defineOperation({
  method: "get",
  path: "/api/v1/recipients/export",
  operationId: "exportRecipients",
  summary: "Every recipient as CSV (?format=csv, default) or JSON",
  tag,
  access: read,
  query: z.strictObject({ format: z.enum(["csv", "json"]).optional() }),
  responses: {
    200: {
      description:
        "text/csv (an attachment with an email,name,enabled header), or a JSON array with ?format=json",
      media: "text/csv",
      schema: z.array(RecipientExportRow),
    },
    ...errorResponses,
  },
});
