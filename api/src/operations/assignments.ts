import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, Id, IdParams, PageQuery, page } from "../common.js";
import { defineOperation } from "../operation.js";
import { MESSAGE_RULE, PASSPHRASE_RULE } from "../rules.js";
import { Scope } from "../scopes.js";

/** A bundle assigned to a recipient, with its limits and their state now. */
export const Assignment = z
  .object({
    id: z.string(),
    bundleId: z.string(),
    recipientId: z.string(),
    maxDownloads: z.number().meta({ description: "0 = unlimited" }),
    cooldownSeconds: z.number(),
    notBefore: z.iso.datetime().nullable(),
    notAfter: z.iso.datetime().nullable(),
    enabled: z.boolean(),
    passphraseRequired: z.boolean(),
    used: z.number(),
    remaining: z.number().nullable().meta({ description: "null = unlimited" }),
    nextAvailableAt: z.iso.datetime().nullable().meta({ description: "null = now" }),
    lastDownloadAt: z.iso.datetime().nullable(),
    message: z.string().meta({
      description:
        'what the sender wrote for this recipient, shown before the download (plain text); "" = none',
    }),
    acknowledgementRequired: z
      .boolean()
      .meta({ description: "the recipient must confirm they read the message before the first download" }),
    acknowledgedAt: z.iso
      .datetime()
      .nullable()
      .meta({ description: "when the recipient confirmed; null = not yet" }),
  })
  .meta({ id: "Assignment" });
export type Assignment = z.output<typeof Assignment>;

const Limits = {
  maxDownloads: z.number().int().min(0).max(1_000_000).optional().meta({ description: "0 = unlimited" }),
  cooldownSeconds: z.number().int().min(0).max(31_536_000).optional(),
  notBefore: z.iso.datetime({ offset: true }).nullable().optional(),
  notAfter: z.iso.datetime({ offset: true }).nullable().optional(),
  enabled: z.boolean().optional(),
  passphrase: z
    .string()
    .min(PASSPHRASE_RULE.minLength)
    .max(PASSPHRASE_RULE.maxLength)
    .nullable()
    .optional()
    .meta({ description: "null removes it; the same length rule as grant@1's `passphrase`" }),
  message: z
    .string()
    .max(MESSAGE_RULE.maxLength)
    .optional()
    .meta({ description: 'plain text shown to the recipient before the download; "" removes it' }),
  acknowledgementRequired: z
    .boolean()
    .optional()
    .meta({ description: "ask the recipient to confirm they read the message before the first download" }),
};

/** An assignment as a recipient's page lists it: with the bundle's name. */
export const RecipientAssignment = Assignment.extend({ bundleName: z.string() }).meta({
  id: "RecipientAssignment",
});
export type RecipientAssignment = z.output<typeof RecipientAssignment>;

/** One download of an assignment, as the admin's download log shows it. */
export const AssignmentDownload = z
  .object({
    id: z.string(),
    grantedAt: z.iso.datetime().meta({ description: "when the recipient started the download (used one)" }),
    expiresAt: z.iso.datetime(),
    version: z.number().meta({ description: "the bundle's archive version that was granted" }),
    newDevice: z.boolean().meta({ description: "the recipient's first download from that browser" }),
    deviceName: z
      .string()
      .nullable()
      .meta({ description: "the name the recipient gave that device; null = unnamed or forgotten" }),
    ip: z.string(),
    userAgent: z.string(),
    size: z.number().meta({ description: "the archive's size in bytes" }),
    bytesSent: z.number().meta({ description: "bytes delivered so far, across resumed requests" }),
    completedAt: z.iso
      .datetime()
      .nullable()
      .meta({ description: "when the archive's last byte was delivered; null = not (yet) completed" }),
  })
  .meta({ id: "AssignmentDownload" });
export type AssignmentDownload = z.output<typeof AssignmentDownload>;

const tag = "assignments";
const write = { kind: "user", scope: Scope.BundlesWrite } as const;
/**
 * Operations on one assignment (`/assignments/:id`): the router lets through callers who may act on some
 * bundles, and the handler authorizes the scope on the assignment's own bundle (the one policy, ADR 029).
 */
const onAssignment = (scope: Scope) => ({ access: { kind: "user", scope } as const, restrictable: true });
const refusedOnBundle = {
  403: { description: "The caller may not do this on the assignment's bundle", schema: ErrorBody },
} as const;
const bundleResource = { type: "bundle", param: "id" } as const;

export const createAssignment = defineOperation({
  method: "post",
  path: "/api/v1/bundles/:id/assignments",
  operationId: "createAssignment",
  summary: "Assign the bundle to a recipient, with limits, a window and an optional passphrase",
  tag,
  access: { ...write, resource: bundleResource },
  params: IdParams,
  body: z.strictObject({ recipientId: Id, ...Limits }).meta({ id: "CreateAssignment" }),
  responses: {
    201: { description: "Assigned", schema: Assignment },
    404: { description: "No such bundle or recipient", schema: ErrorBody },
    409: { description: "Already assigned", schema: ErrorBody },
    ...bodyErrorResponses,
    ...errorResponses,
    403: { description: "Not allowed to write the bundle, or to read one of its files", schema: ErrorBody },
  },
});

export const listAssignments = defineOperation({
  method: "get",
  path: "/api/v1/bundles/:id/assignments",
  operationId: "listAssignments",
  summary: "The bundle's assignments with their limits summary (used, remaining, next available)",
  tag,
  access: { kind: "user", scope: Scope.BundlesRead, resource: bundleResource },
  params: IdParams,
  responses: {
    200: { description: "Assignments", schema: z.object({ items: z.array(Assignment) }) },
    404: { description: "No such bundle", schema: ErrorBody },
    ...errorResponses,
  },
});

export const updateAssignment = defineOperation({
  method: "patch",
  path: "/api/v1/assignments/:id",
  operationId: "updateAssignment",
  summary: "Change limits, window, passphrase or enabled; resetUsage gives the downloads back",
  tag,
  ...onAssignment(Scope.BundlesWrite),
  params: IdParams,
  body: z.strictObject({ ...Limits, resetUsage: z.boolean().optional() }).meta({ id: "UpdateAssignment" }),
  responses: {
    200: { description: "Updated", schema: Assignment },
    404: { description: "No such assignment", schema: ErrorBody },
    ...bodyErrorResponses,
    ...errorResponses,
    ...refusedOnBundle,
  },
});

export const deleteAssignment = defineOperation({
  method: "delete",
  path: "/api/v1/assignments/:id",
  operationId: "deleteAssignment",
  summary: "Remove an assignment",
  tag,
  ...onAssignment(Scope.BundlesWrite),
  params: IdParams,
  responses: {
    200: { description: "Removed", schema: Assignment },
    404: { description: "No such assignment", schema: ErrorBody },
    ...errorResponses,
    ...refusedOnBundle,
  },
});

export const listAssignmentDownloads = defineOperation({
  method: "get",
  path: "/api/v1/assignments/:id/downloads",
  operationId: "listAssignmentDownloads",
  summary:
    "The assignment's downloads, newest first: when, from which device, the size and the bytes delivered",
  tag,
  ...onAssignment(Scope.BundlesRead),
  params: IdParams,
  query: PageQuery,
  responses: {
    200: { description: "A page of downloads", schema: page(AssignmentDownload) },
    404: { description: "No such assignment", schema: ErrorBody },
    ...errorResponses,
    ...refusedOnBundle,
  },
});

export const listRecipientAssignments = defineOperation({
  method: "get",
  path: "/api/v1/recipients/:id/assignments",
  operationId: "listRecipientAssignments",
  summary: "The bundles assigned to a recipient (only those the caller may read), with their limits summary",
  tag,
  access: { kind: "user", scope: Scope.RecipientsRead, resource: { type: "recipient", param: "id" } },
  params: IdParams,
  responses: {
    200: {
      description: "Assignments of bundles the caller may read (bundles:read)",
      schema: z.object({ items: z.array(RecipientAssignment) }),
    },
    404: { description: "No such recipient", schema: ErrorBody },
    ...errorResponses,
  },
});
