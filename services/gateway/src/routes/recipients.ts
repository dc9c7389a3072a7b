import type { authV1 } from "@latchflow/proto";
import { conflict, Scope } from "@latchflow/runtime";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, IdParams, PageQuery } from "../schemas.js";

const Recipient = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Recipient" });

const toRest = (r: authV1.Recipient) => ({
  ...r,
  createdAt: r.createdAt?.toISOString(),
  updatedAt: r.updatedAt?.toISOString(),
});

export function recipientRoutes(clients: GatewayClients) {
  const tag = "recipients";
  const read = { kind: "user", scope: Scope.RecipientsRead } as const;
  const write = { kind: "user", scope: Scope.RecipientsWrite } as const;
  const notFound = { 404: { description: "No such recipient", schema: ErrorResponse } };
  return [
    defineRoute({
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
        409: { description: "Email taken", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ body, ctx }) => ({
        status: 201,
        body: toRest(
          await clients.auth.createRecipient(
            {
              email: body.email,
              name: body.name ?? "",
              ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
            },
            ctx,
          ),
        ),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/recipients",
      operationId: "listRecipients",
      summary: "List recipients (search with ?q=)",
      tag,
      access: read,
      query: PageQuery.extend({ q: z.string().max(200).optional() }),
      responses: {
        200: {
          description: "Recipients",
          schema: z.object({ items: z.array(Recipient), nextCursor: z.string().nullable() }),
        },
        ...errorResponses,
      },
      handler: async ({ query, ctx }) => {
        const res = await clients.auth.listRecipients(
          { query: query.q ?? "", page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 } },
          ctx,
        );
        return {
          status: 200,
          body: { items: res.recipients.map(toRest), nextCursor: res.page?.nextCursor || null },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/recipients/:id",
      operationId: "getRecipient",
      summary: "Get one recipient",
      tag,
      access: { ...read, resource: { type: "recipient", param: "id" } },
      params: IdParams,
      responses: { 200: { description: "Recipient", schema: Recipient }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: toRest(await clients.auth.getRecipient({ id: params.id }, ctx)),
      }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/recipients/:id",
      operationId: "updateRecipient",
      summary: "Rename, enable or disable a recipient",
      tag,
      access: { ...write, resource: { type: "recipient", param: "id" } },
      params: IdParams,
      body: z
        .strictObject({ name: z.string().max(200).optional(), enabled: z.boolean().optional() })
        .meta({ id: "UpdateRecipient" }),
      responses: { 200: { description: "Updated", schema: Recipient }, ...notFound, ...errorResponses },
      handler: async ({ params, body, ctx }) => ({
        status: 200,
        body: toRest(
          await clients.auth.updateRecipient(
            {
              id: params.id,
              ...(body.name !== undefined ? { name: body.name } : {}),
              ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
            },
            ctx,
          ),
        ),
      }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/recipients/:id",
      operationId: "deleteRecipient",
      summary: "Remove a recipient (refused while bundles are assigned to them)",
      tag,
      access: { ...write, resource: { type: "recipient", param: "id" } },
      params: IdParams,
      responses: {
        200: { description: "Removed", schema: Recipient },
        409: { description: "Still has assignments", schema: ErrorResponse },
        ...notFound,
        ...errorResponses,
      },
      handler: async ({ params, ctx }) => {
        const { assignments } = await clients.bundles.listAssignments(
          { bundleId: "", recipientId: params.id, activeOnly: false },
          ctx,
        );
        if (assignments.length) {
          throw conflict("Remove the recipient's assignments first", {
            assignmentIds: assignments.map((a) => a.id),
          });
        }
        return { status: 200, body: toRest(await clients.auth.deleteRecipient({ id: params.id }, ctx)) };
      },
    }),
  ];
}
