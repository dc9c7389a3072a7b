import { PASSPHRASE_RULE } from "@latchflow/plugin-sdk";
import type { bundlesV1 } from "@latchflow/proto";
import { Scope } from "@latchflow/runtime";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { authorizeRelease } from "../policy.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, IdParams } from "../schemas.js";

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
  })
  .meta({ id: "Assignment" });

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
};

export function assignmentToRest(a: bundlesV1.Assignment) {
  return {
    id: a.id,
    bundleId: a.bundleId,
    recipientId: a.recipientId,
    maxDownloads: a.maxDownloads,
    cooldownSeconds: a.cooldownSeconds,
    notBefore: a.notBefore?.toISOString() ?? null,
    notAfter: a.notAfter?.toISOString() ?? null,
    enabled: a.enabled,
    passphraseRequired: a.passphraseRequired,
    used: a.downloadsUsed,
    remaining: a.maxDownloads === 0 ? null : a.downloadsRemaining,
    nextAvailableAt: a.nextAvailableAt?.toISOString() ?? null,
    lastDownloadAt: a.lastDownloadAt?.toISOString() ?? null,
  };
}

const date = (v: string | null | undefined) => (v ? new Date(v) : undefined);

export function assignmentRoutes(clients: GatewayClients) {
  const tag = "assignments";
  const write = { kind: "user", scope: Scope.BundlesWrite } as const;
  const notFound = { 404: { description: "No such assignment", schema: ErrorResponse } };
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/bundles/:id/assignments",
      operationId: "createAssignment",
      summary: "Assign the bundle to a recipient, with limits, a window and an optional passphrase",
      tag,
      access: { ...write, resource: { type: "bundle", param: "id" } },
      params: IdParams,
      body: z.strictObject({ recipientId: IdParams.shape.id, ...Limits }).meta({ id: "CreateAssignment" }),
      responses: {
        201: { description: "Assigned", schema: Assignment },
        409: { description: "Already assigned", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ params, body, ctx, identity }) => {
        authorizeRelease(identity, await clients.bundles.getBundle({ id: params.id }, ctx));
        await clients.auth.getRecipient({ id: body.recipientId }, ctx);
        const a = await clients.bundles.createAssignment(
          {
            bundleId: params.id,
            recipientId: body.recipientId,
            maxDownloads: body.maxDownloads ?? 0,
            cooldownSeconds: body.cooldownSeconds ?? 0,
            ...(date(body.notBefore) ? { notBefore: date(body.notBefore) } : {}),
            ...(date(body.notAfter) ? { notAfter: date(body.notAfter) } : {}),
            ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
            ...(body.passphrase ? { passphrase: body.passphrase } : {}),
          },
          ctx,
        );
        return { status: 201, body: assignmentToRest(a) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/bundles/:id/assignments",
      operationId: "listAssignments",
      summary: "The bundle's assignments with their limits summary (used, remaining, next available)",
      tag,
      access: { kind: "user", scope: Scope.BundlesRead, resource: { type: "bundle", param: "id" } },
      params: IdParams,
      responses: {
        200: { description: "Assignments", schema: z.object({ items: z.array(Assignment) }) },
        ...errorResponses,
      },
      handler: async ({ params, ctx }) => {
        await clients.bundles.getBundle({ id: params.id }, ctx);
        const res = await clients.bundles.listAssignments(
          { bundleId: params.id, recipientId: "", activeOnly: false },
          ctx,
        );
        return { status: 200, body: { items: res.assignments.map(assignmentToRest) } };
      },
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/assignments/:id",
      operationId: "updateAssignment",
      summary: "Change limits, window, passphrase or enabled; resetUsage gives the downloads back",
      tag,
      access: write,
      params: IdParams,
      body: z
        .strictObject({ ...Limits, resetUsage: z.boolean().optional() })
        .meta({ id: "UpdateAssignment" }),
      responses: { 200: { description: "Updated", schema: Assignment }, ...notFound, ...errorResponses },
      handler: async ({ params, body, ctx }) => {
        const a = await clients.bundles.updateAssignment(
          {
            id: params.id,
            ...(body.maxDownloads !== undefined ? { maxDownloads: body.maxDownloads } : {}),
            ...(body.cooldownSeconds !== undefined ? { cooldownSeconds: body.cooldownSeconds } : {}),
            ...(body.notBefore ? { notBefore: new Date(body.notBefore) } : {}),
            ...(body.notAfter ? { notAfter: new Date(body.notAfter) } : {}),
            clearNotBefore: body.notBefore === null,
            clearNotAfter: body.notAfter === null,
            ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
            ...(body.passphrase ? { passphrase: body.passphrase } : {}),
            clearPassphrase: body.passphrase === null,
            resetUsage: body.resetUsage ?? false,
          },
          ctx,
        );
        return { status: 200, body: assignmentToRest(a) };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/assignments/:id",
      operationId: "deleteAssignment",
      summary: "Remove an assignment",
      tag,
      access: write,
      params: IdParams,
      responses: { 200: { description: "Removed", schema: Assignment }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: assignmentToRest(await clients.bundles.deleteAssignment({ id: params.id }, ctx)),
      }),
    }),
  ];
}
