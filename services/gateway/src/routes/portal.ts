import { randomBytes } from "node:crypto";
import { operations, type schemas } from "@latchflow/api";
import type { bundlesV1 } from "@latchflow/proto";
import { notFound, type RequestContext } from "@latchflow/runtime";
import type { Context } from "koa";
import type { GatewayClients } from "../clients.js";
import { readCookie, setCookie } from "../cookies.js";
import { implement } from "../route.js";
import { assignmentToRest } from "./assignments.js";

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

export function portalBundleToRest(b: bundlesV1.Bundle, a: bundlesV1.Assignment): schemas.PortalBundleDetail {
  return {
    id: b.id,
    name: b.name,
    description: b.description,
    files: b.objects.map((o) => ({ name: o.entryName, size: o.size })),
    archive: { size: b.archive?.size ?? 0, files: b.archive?.files ?? 0 },
    assignment: assignmentToRest(a),
  };
}

export function downloadToRest(d: bundlesV1.Download): schemas.PortalDownload {
  return {
    id: d.id,
    bundleId: d.bundleId,
    bundleName: d.bundleName,
    version: d.version,
    grantedAt: (d.grantedAt ?? new Date(0)).toISOString(),
    expiresAt: (d.expiresAt ?? new Date(0)).toISOString(),
    newDevice: d.newDevice,
    thisDevice: d.thisDevice,
    ip: d.ip,
    userAgent: d.userAgent,
    size: d.size,
    bytesSent: d.bytesSent,
    completedAt: d.completedAt ? d.completedAt.toISOString() : null,
    deviceName: null,
  };
}

export function portalRoutes(
  clients: GatewayClients,
  options: { linkBase: () => string; secureCookies: boolean },
) {
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
    implement(operations.getPortalMe, async ({ ctx }) => {
      const r = await clients.auth.getRecipient({ id: recipientId(ctx) }, ctx);
      const me: schemas.PortalRecipient = { id: r.id, email: r.email, name: r.name };
      return { status: 200, body: me };
    }),
    implement(operations.listPortalBundles, async ({ ctx }) => {
      const res = await clients.bundles.listAssignments(
        { bundleId: "", recipientId: recipientId(ctx), activeOnly: true },
        ctx,
      );
      const items = res.assignments.map(
        (a): schemas.PortalBundle => ({
          id: a.bundleId,
          name: a.bundleName,
          assignment: assignmentToRest(a),
        }),
      );
      return { status: 200, body: { items } };
    }),
    implement(operations.getPortalBundle, async ({ params, ctx }) => {
      const a = await mine(ctx, params.id);
      const b = await clients.bundles.getBundle({ id: params.id }, ctx);
      return { status: 200, body: portalBundleToRest(b, a) };
    }),
    implement(operations.consumePortalDownload, async ({ params, body, ctx, koa }) => {
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
      const granted: schemas.DownloadGrant = {
        url: `${options.linkBase()}/dl/${grant.token}`,
        expiresAt: (grant.expiresAt ?? new Date(0)).toISOString(),
        newDevice: grant.newDevice,
        assignment: assignmentToRest(grant.assignment!),
      };
      return { status: 201, body: granted };
    }),
    implement(operations.acknowledgePortalBundle, async ({ params, ctx }) => {
      const a = await clients.bundles.acknowledgeAssignment(
        { bundleId: params.id, recipientId: recipientId(ctx) },
        ctx,
      );
      return { status: 200, body: assignmentToRest(a) };
    }),
    implement(operations.listPortalDownloads, async ({ query, ctx, koa }) => {
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
        body: { items: res.downloads.map(downloadToRest), nextCursor: res.page?.nextCursor || null },
      };
    }),
  ];
}
