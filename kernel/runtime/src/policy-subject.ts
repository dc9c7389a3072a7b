import type { authV1 } from "@latchflow/proto";
import type { RequestContext } from "./context.js";
import {
  type Decision,
  decide,
  decideEveryScope,
  isRole,
  type PolicyRequest,
  type PolicySubject,
  ROLE_SCOPE_CEILING,
} from "./policy.js";
import { ALL_SCOPES, Role, Scope } from "./scopes.js";

/**
 * What a subject is built from: an authenticated `Identity` (the credential's scopes), or a user as a whole
 * (`scopes` omitted: the role's ceiling — what simulate and the kernel ask about a pipeline's owner).
 */
export interface SubjectSource {
  kind: string;
  role: string;
  scopes?: readonly string[];
  permissions: readonly Pick<authV1.Permission, "id" | "action" | "resourceType" | "resourceId" | "effect">[];
}

/** The scopes a role can ever hold (a session carries exactly these). */
export function roleCeiling(role: string): string[] {
  return isRole(role) ? [...ROLE_SCOPE_CEILING[role]] : [];
}

/**
 * The one policy subject builder (gateway, simulate route, auth service and kernel all use it). A
 * credential's scopes are always capped by its role's ceiling, so a demoted user's old tokens shrink with it.
 */
export function subjectOf(source: SubjectSource): PolicySubject {
  const ceiling = roleCeiling(source.role);
  return {
    kind: source.kind === "user" ? "user" : "recipient",
    role: source.role,
    scopes: source.scopes ? source.scopes.filter((s) => ceiling.includes(s)) : ceiling,
    scopesFrom: source.scopes ? "credential" : "role",
    permissions: source.permissions.map((p) => ({
      id: p.id,
      action: p.action,
      resourceType: p.resourceType,
      resourceId: p.resourceId,
      effect: p.effect === "deny" ? "deny" : "allow",
    })),
  };
}

/** The two auth calls `decideForUser` needs (the gateway's and the kernel's auth clients both fit). */
export interface UserPolicySource {
  getUser(req: authV1.GetUserRequest, ctx: RequestContext): Promise<authV1.User>;
  listPermissions(
    req: authV1.ListPermissionsRequest,
    ctx: RequestContext,
  ): Promise<authV1.ListPermissionsResponse>;
}

const DEACTIVATED: Decision = { allowed: false, reason: "the user is deactivated" };

/** The user and, unless deactivated, their policy subject as a whole (the role's ceiling and their overrides). */
async function userSubject(
  auth: UserPolicySource,
  ctx: RequestContext,
  userId: string,
): Promise<{ user: authV1.User; subject?: PolicySubject }> {
  const user = await auth.getUser({ id: userId }, ctx);
  if (!user.active) return { user };
  const { permissions } = await auth.listPermissions({ userId }, ctx);
  return { user, subject: subjectOf({ kind: "user", role: user.role, permissions }) };
}

/**
 * What this user (as a whole) may do with each scope right now, and why: one read of the user and their
 * overrides. A deactivated user may do nothing.
 */
export async function decideEveryScopeForUser(
  auth: UserPolicySource,
  ctx: RequestContext,
  userId: string,
): Promise<{ user: authV1.User; scopes: { action: Scope; decision: Decision }[] }> {
  const { user, subject } = await userSubject(auth, ctx, userId);
  const scopes = subject
    ? decideEveryScope(subject)
    : ALL_SCOPES.map((action) => ({ action, decision: DEACTIVATED }));
  return { user, scopes };
}

/** May this user (as a whole, not one credential) do this right now? Deactivated users may do nothing. */
export function decideForUser(
  auth: UserPolicySource,
  ctx: RequestContext,
  userId: string,
  request: PolicyRequest,
): Promise<Decision> {
  return decideAllForUser(auth, ctx, userId, [request]);
}

/**
 * May this user do every one of these right now? The first refusal, or the last allowance; the user and their
 * overrides are read once (releasing a bundle checks the bundle and each of its files).
 */
export async function decideAllForUser(
  auth: UserPolicySource,
  ctx: RequestContext,
  userId: string,
  requests: readonly PolicyRequest[],
): Promise<Decision> {
  const { subject } = await userSubject(auth, ctx, userId);
  if (!subject) return DEACTIVATED;
  let last: Decision = { allowed: false, reason: "nothing was asked" };
  for (const request of requests) {
    last = decide(subject, request);
    if (!last.allowed) return last;
  }
  return last;
}

/**
 * May the subject manage another user's credentials, sessions, role and permissions? It needs `users:admin`
 * on that user (deny overrides honoured), and only owners manage owners.
 */
export function mayManageUser(subject: PolicySubject, target: { id: string; role: string }): Decision {
  const decision = decide(subject, { action: Scope.UsersAdmin, resource: { type: "user", id: target.id } });
  if (!decision.allowed) return decision;
  if (target.role === Role.Owner && subject.role !== Role.Owner) {
    return { allowed: false, reason: "only an owner may manage an owner" };
  }
  return decision;
}
