import { operations, type schemas } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import { conflict } from "@latchflow/runtime";
import type { GatewayClients } from "../clients.js";
import { implement } from "../route.js";

export function recipientToRest(r: authV1.Recipient): schemas.Recipient {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    enabled: r.enabled,
    createdAt: (r.createdAt ?? new Date(0)).toISOString(),
    updatedAt: (r.updatedAt ?? new Date(0)).toISOString(),
  };
}

export function recipientRoutes(clients: GatewayClients) {
  return [
    implement(operations.createRecipient, async ({ body, ctx }) => ({
      status: 201,
      body: recipientToRest(
        await clients.auth.createRecipient(
          {
            email: body.email,
            name: body.name ?? "",
            ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
          },
          ctx,
        ),
      ),
    })),
    implement(operations.listRecipients, async ({ query, ctx }) => {
      const res = await clients.auth.listRecipients(
        { query: query.q ?? "", page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 } },
        ctx,
      );
      return {
        status: 200,
        body: { items: res.recipients.map(recipientToRest), nextCursor: res.page?.nextCursor || null },
      };
    }),
    implement(operations.getRecipient, async ({ params, ctx }) => ({
      status: 200,
      body: recipientToRest(await clients.auth.getRecipient({ id: params.id }, ctx)),
    })),
    implement(operations.updateRecipient, async ({ params, body, ctx }) => ({
      status: 200,
      body: recipientToRest(
        await clients.auth.updateRecipient(
          {
            id: params.id,
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
          },
          ctx,
        ),
      ),
    })),
    implement(operations.deleteRecipient, async ({ params, ctx }) => {
      const { assignments } = await clients.bundles.listAssignments(
        { bundleId: "", recipientId: params.id, activeOnly: false },
        ctx,
      );
      if (assignments.length) {
        throw conflict("Remove the recipient's assignments first", {
          assignmentIds: assignments.map((a) => a.id),
        });
      }
      return {
        status: 200,
        body: recipientToRest(await clients.auth.deleteRecipient({ id: params.id }, ctx)),
      };
    }),
  ];
}
