import type { authV1 } from "@latchflow/proto";
import {
  type Decision,
  decide,
  type PolicyRequest,
  permissionDenied,
  Scope,
  subjectOf,
  unauthenticated,
} from "@latchflow/runtime";

/**
 * The gateway's one authorization point: every route with `access.kind = "user"` passes here, and routes that
 * touch a second resource (a file added to a bundle) ask it again. The decision and the subject come from
 * runtime's policy module (shared with the simulate route, the auth service and the kernel).
 */
export function authorize(identity: authV1.Identity, request: PolicyRequest): Decision {
  const decision = decide(subjectOf(identity), request);
  if (!decision.allowed) {
    throw permissionDenied(`Not allowed: ${decision.reason}`, {
      action: request.action,
      ...(request.resource ? { resource: request.resource } : {}),
    });
  }
  return decision;
}

/** Whether the policy allows the request (for what an answer shows, not for what a route does: use authorize). */
export function allows(identity: authV1.Identity, request: PolicyRequest): boolean {
  return decide(subjectOf(identity), request).allowed;
}

/** Authorizes one action on each of several resources of a type (e.g. every file put into a bundle). */
export function authorizeEach(
  identity: authV1.Identity | undefined,
  action: Scope,
  type: string,
  ids: readonly string[],
): void {
  if (!identity) throw unauthenticated();
  for (const id of new Set(ids)) authorize(identity, { action, resource: { type, id } });
}

/**
 * Releasing a bundle (an assignment, a publish link) or exporting it hands out its files: besides the route's
 * access on the bundle, the caller must be allowed to read every file in it, or a file denied to them could be
 * released through a bundle someone else put it in.
 */
export function authorizeRelease(
  identity: authV1.Identity | undefined,
  bundle: { objects: readonly { fileId: string }[] },
): void {
  authorizeEach(
    identity,
    Scope.FilesRead,
    "file",
    bundle.objects.map((o) => o.fileId),
  );
}
