import { operations, type schemas } from "@latchflow/api";
import type { bundlesV1 } from "@latchflow/proto";
import type { GatewayClients } from "../clients.js";
import { authorizeRelease } from "../policy.js";
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
    implement(operations.updateAssignment, async ({ params, body, ctx }) => {
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
    implement(operations.deleteAssignment, async ({ params, ctx }) => ({
      status: 200,
      body: assignmentToRest(await clients.bundles.deleteAssignment({ id: params.id }, ctx)),
    })),
  ];
}
