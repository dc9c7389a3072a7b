import { operations, type schemas } from "@latchflow/api";
import type { bundlesV1 } from "@latchflow/proto";
import { notFound, type RequestContext } from "@latchflow/runtime";
import type { GatewayClients } from "../clients.js";
import { deviceId, readDeviceId } from "../device-cookie.js";
import { implement } from "../route.js";
import { assignmentDownloadToRest, assignmentToRest } from "./assignments.js";

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

/** `names`: the recipient's device names by device cookie (from the auth service; unnamed and forgotten absent). */
export function downloadToRest(
  d: bundlesV1.Download,
  names: Record<string, string> = {},
): schemas.PortalDownload {
  return {
    ...assignmentDownloadToRest(d, names),
    bundleId: d.bundleId,
    bundleName: d.bundleName,
    thisDevice: d.thisDevice,
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
      const device = readDeviceId(koa);
      const res = await clients.bundles.listDownloads(
        {
          recipientId: recipientId(ctx),
          assignmentId: "",
          deviceId: device,
          page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 },
        },
        ctx,
      );
      const { names } = await clients.auth.nameRecipientDeviceKeys(
        { deviceKeys: res.downloads.map((d) => d.deviceId), recipientId: "" },
        ctx,
      );
      return {
        status: 200,
        body: {
          items: res.downloads.map((d) => downloadToRest(d, names)),
          nextCursor: res.page?.nextCursor || null,
        },
      };
    }),
  ];
}
