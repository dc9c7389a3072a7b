import type { authV1 } from "@latchflow/proto";
import { type Decision, decide, type PolicyRequest, permissionDenied } from "@latchflow/runtime";

/** The policy subject of an authenticated identity. */
export function subjectOf(identity: authV1.Identity) {
  return {
    kind: identity.kind === "recipient" ? ("recipient" as const) : ("user" as const),
    role: identity.role,
    scopes: identity.scopes,
    permissions: identity.permissions.map((p) => ({
      id: p.id,
      action: p.action,
      resourceType: p.resourceType,
      resourceId: p.resourceId,
      effect: p.effect === "deny" ? ("deny" as const) : ("allow" as const),
    })),
  };
}

/**
 * The gateway's one authorization point: every route with `access.kind = "user"` passes here.
 * The decision itself is runtime's `decide` (shared with the auth service's simulate endpoint).
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
