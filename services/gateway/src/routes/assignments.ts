import { operations, type schemas } from "@latchflow/api";
import type { authV1, bundlesV1 } from "@latchflow/proto";
import { decide, type RequestContext, Scope, subjectOf, unauthenticated } from "@latchflow/runtime";
import type { GatewayClients } from "../clients.js";
import { authorize, authorizeRelease } from "../policy.js";
import { implement } from "../route.js";

export function assignmentToRest(a: bundlesV1.Assignment): schemas.Assignment {
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
    message: a.message,
    acknowledgementRequired: a.acknowledgementRequired,
    acknowledgedAt: a.acknowledgedAt?.toISOString() ?? null,
  };
}

const date = (v: string | null | undefined) => (v ? new Date(v) : undefined);

export function assignmentDownloadToRest(
  d: bundlesV1.Download,
  names: Record<string, string>,
): schemas.AssignmentDownload {
  return {
    id: d.id,
    grantedAt: (d.grantedAt ?? new Date(0)).toISOString(),
    expiresAt: (d.expiresAt ?? new Date(0)).toISOString(),
    version: d.version,
    newDevice: d.newDevice,
    deviceName: names[d.deviceId] ?? null,
    ip: d.ip,
    userAgent: d.userAgent,
    size: d.size,
    bytesSent: d.bytesSent,
    completedAt: d.completedAt ? d.completedAt.toISOString() : null,
  };
}

/**
 * The assignment, once the caller is allowed `action` on its bundle: operations on `/assignments/:id` are
 * authorized on the assignment's own bundle, as those on `/bundles/:id/assignments` are (ADR 029).
 */
async function assignmentFor(
  clients: GatewayClients,
  identity: authV1.Identity | undefined,
  ctx: RequestContext,
  id: string,
  action: Scope,
): Promise<bundlesV1.Assignment> {
  if (!identity) throw unauthenticated();
  const a = await clients.bundles.getAssignment({ id }, ctx);
  authorize(identity, { action, resource: { type: "bundle", id: a.bundleId } });
  return a;
}

export function assignmentRoutes(clients: GatewayClients) {
  return [
    implement(operations.createAssignment, async ({ params, body, ctx, identity }) => {
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
          ...(body.message !== undefined ? { message: body.message } : {}),
          ...(body.acknowledgementRequired !== undefined
            ? { acknowledgementRequired: body.acknowledgementRequired }
            : {}),
        },
        ctx,
      );
      return { status: 201, body: assignmentToRest(a) };
    }),
    implement(operations.listAssignments, async ({ params, ctx }) => {
      await clients.bundles.getBundle({ id: params.id }, ctx);
      const res = await clients.bundles.listAssignments(
        { bundleId: params.id, recipientId: "", activeOnly: false },
        ctx,
      );
      return { status: 200, body: { items: res.assignments.map(assignmentToRest) } };
    }),
    implement(operations.updateAssignment, async ({ params, body, ctx, identity }) => {
      await assignmentFor(clients, identity, ctx, params.id, Scope.BundlesWrite);
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
          ...(body.message !== undefined ? { message: body.message } : {}),
          ...(body.acknowledgementRequired !== undefined
            ? { acknowledgementRequired: body.acknowledgementRequired }
            : {}),
        },
        ctx,
      );
      return { status: 200, body: assignmentToRest(a) };
    }),
    implement(operations.deleteAssignment, async ({ params, ctx, identity }) => {
      await assignmentFor(clients, identity, ctx, params.id, Scope.BundlesWrite);
      return {
        status: 200,
        body: assignmentToRest(await clients.bundles.deleteAssignment({ id: params.id }, ctx)),
      };
    }),
    implement(operations.listAssignmentDownloads, async ({ params, query, ctx, identity }) => {
      const a = await assignmentFor(clients, identity, ctx, params.id, Scope.BundlesRead);
      const res = await clients.bundles.listDownloads(
        {
          recipientId: "",
          assignmentId: a.id,
          deviceId: "",
          page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 },
        },
        ctx,
      );
      const { names } = await clients.auth.nameRecipientDeviceKeys(
        { deviceKeys: res.downloads.map((d) => d.deviceId), recipientId: a.recipientId },
        ctx,
      );
      return {
        status: 200,
        body: {
          items: res.downloads.map((d) => assignmentDownloadToRest(d, names)),
          nextCursor: res.page?.nextCursor || null,
        },
      };
    }),
    implement(operations.listRecipientAssignments, async ({ params, ctx, identity }) => {
      if (!identity) throw unauthenticated();
      await clients.auth.getRecipient({ id: params.id }, ctx);
      const res = await clients.bundles.listAssignments(
        { bundleId: "", recipientId: params.id, activeOnly: false },
        ctx,
      );
      // only the bundles the caller may read, by the one policy (each, so a deny on one bundle hides it)
      const subject = subjectOf(identity);
      const items = res.assignments
        .filter(
          (a) =>
            decide(subject, { action: Scope.BundlesRead, resource: { type: "bundle", id: a.bundleId } })
              .allowed,
        )
        .map((a): schemas.RecipientAssignment => ({ ...assignmentToRest(a), bundleName: a.bundleName }));
      return { status: 200, body: { items } };
    }),
  ];
}
