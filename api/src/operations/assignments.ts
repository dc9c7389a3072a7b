import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, Id, IdParams } from "../common.js";
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

const tag = "assignments";
const write = { kind: "user", scope: Scope.BundlesWrite } as const;
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
  access: write,
  params: IdParams,
  body: z.strictObject({ ...Limits, resetUsage: z.boolean().optional() }).meta({ id: "UpdateAssignment" }),
  responses: {
    200: { description: "Updated", schema: Assignment },
    404: { description: "No such assignment", schema: ErrorBody },
    ...bodyErrorResponses,
    ...errorResponses,
  },
});

export const deleteAssignment = defineOperation({
  method: "delete",
  path: "/api/v1/assignments/:id",
  operationId: "deleteAssignment",
  summary: "Remove an assignment",
  tag,
  access: write,
  params: IdParams,
  responses: {
    200: { description: "Removed", schema: Assignment },
    404: { description: "No such assignment", schema: ErrorBody },
    ...errorResponses,
  },
});
