import { randomBytes } from "node:crypto";
import { PASSPHRASE_RULE } from "@latchflow/plugin-sdk";
import { notFound, type RequestContext } from "@latchflow/runtime";
import type { Context } from "koa";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { readCookie, setCookie } from "../cookies.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, IdParams, PageQuery } from "../schemas.js";
import { Assignment, assignmentToRest } from "./assignments.js";

const DEVICE_COOKIE = "lf_device";
const DEVICE_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** This browser's device id (an HttpOnly random cookie), set on first use; tells "this device" from new ones. */
function deviceId(koa: Context, secure: boolean): string {
  const existing = readCookie(koa, DEVICE_COOKIE);
  if (existing && DEVICE_ID.test(existing)) return existing;
  const id = randomBytes(18).toString("base64url");
  setCookie(koa, DEVICE_COOKIE, id, { httpOnly: true, sameSite: "Lax", secure, maxAgeSeconds: 400 * 86_400 });
  return id;
}

export function portalRoutes(
  clients: GatewayClients,
  options: { linkBase: () => string; secureCookies: boolean },
) {
  const tag = "portal";
  const access = { kind: "recipient" } as const;
  const recipientId = (ctx: RequestContext) => ctx.caller!.id;
  const mine = async (ctx: RequestContext, bundleId: string) => {
    const res = await clients.bundles.listAssignments(
      { bundleId, recipientId: recipientId(ctx), activeOnly: true },
      ctx,
    );
    const a = res.assignments[0];
    if (!a) throw notFound("No such bundle for you", { bundleId });
    return a;
  };
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/portal/me",
      operationId: "portalMe",
      summary: "The signed-in recipient",
      tag,
      access,
      responses: {
        200: {
          description: "Recipient",
          schema: z.object({ id: z.string(), email: z.string(), name: z.string() }),
        },
      },
      handler: async ({ ctx }) => {
        const r = await clients.auth.getRecipient({ id: recipientId(ctx) }, ctx);
        return { status: 200, body: { id: r.id, email: r.email, name: r.name } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/portal/bundles",
      operationId: "portalBundles",
      summary: "Bundles assigned to the recipient, each with its limits summary",
      tag,
      access,
      responses: {
        200: {
          description: "Bundles",
          schema: z.object({
            items: z.array(z.object({ id: z.string(), name: z.string(), assignment: Assignment })),
          }),
        },
      },
      handler: async ({ ctx }) => {
        const res = await clients.bundles.listAssignments(
          { bundleId: "", recipientId: recipientId(ctx), activeOnly: true },
          ctx,
        );
        return {
          status: 200,
          body: {
            items: res.assignments.map((a) => ({
              id: a.bundleId,
              name: a.bundleName,
              assignment: assignmentToRest(a),
            })),
          },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/portal/bundles/:id",
      operationId: "portalBundle",
      summary: "One assigned bundle with its files",
      tag,
      access,
      params: IdParams,
      responses: {
        200: { description: "Bundle" },
        404: { description: "Not assigned to you", schema: ErrorResponse },
      },
      handler: async ({ params, ctx }) => {
        const a = await mine(ctx, params.id);
        const b = await clients.bundles.getBundle({ id: params.id }, ctx);
        return {
          status: 200,
          body: {
            id: b.id,
            name: b.name,
            description: b.description,
            files: b.objects.map((o) => ({ name: o.entryName, size: o.size })),
            archive: { size: b.archive?.size ?? 0, files: b.archive?.files ?? 0 },
            assignment: assignmentToRest(a),
          },
        };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/portal/bundles/:id/downloads",
      operationId: "portalConsumeDownload",
      summary:
        "Use one download: returns a short-lived URL that streams the archive once (resumable) to this session",
      tag,
      access,
      params: IdParams,
      body: z
        .strictObject({ passphrase: z.string().max(PASSPHRASE_RULE.maxLength).optional() })
        .meta({ id: "ConsumeDownload" }),
      responses: {
        201: {
          description: "Granted",
          schema: z.object({
            url: z.string(),
            expiresAt: z.iso.datetime(),
            newDevice: z.boolean(),
            assignment: Assignment,
          }),
        },
        403: {
          description: "Refused: details.reason says why (limit, window, passphrase, disabled)",
          schema: ErrorResponse,
        },
        404: { description: "Not assigned to you", schema: ErrorResponse },
        429: {
          description: "Cooldown, or too many wrong passphrases (details.reason): see Retry-After",
          schema: ErrorResponse,
        },
      },
      handler: async ({ params, body, ctx, koa }) => {
        const grant = await clients.bundles.consumeDownload(
          {
            bundleId: params.id,
            recipientId: recipientId(ctx),
            passphrase: body.passphrase ?? "",
            deviceId: deviceId(koa, options.secureCookies),
            sessionId: ctx.caller?.sessionId ?? "",
          },
          ctx,
        );
        return {
          status: 201,
          body: {
            url: `${options.linkBase()}/dl/${grant.token}`,
            expiresAt: grant.expiresAt?.toISOString(),
            newDevice: grant.newDevice,
            assignment: grant.assignment ? assignmentToRest(grant.assignment) : undefined,
          },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/portal/downloads",
      operationId: "portalDownloads",
      summary: "The recipient's download history; downloads from a new device are flagged",
      tag,
      access,
      query: PageQuery,
      responses: { 200: { description: "History" }, ...errorResponses },
      handler: async ({ query, ctx, koa }) => {
        const device = readCookie(koa, DEVICE_COOKIE) ?? "";
        const res = await clients.bundles.listDownloads(
          {
            recipientId: recipientId(ctx),
            deviceId: device,
            page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 },
          },
          ctx,
        );
        return {
          status: 200,
          body: {
            items: res.downloads.map((d) => ({
              id: d.id,
              bundleId: d.bundleId,
              bundleName: d.bundleName,
              version: d.version,
              grantedAt: d.grantedAt?.toISOString(),
              expiresAt: d.expiresAt?.toISOString(),
              newDevice: d.newDevice,
              thisDevice: d.thisDevice,
              ip: d.ip,
              userAgent: d.userAgent,
            })),
            nextCursor: res.page?.nextCursor || null,
          },
        };
      },
    }),
  ];
}
