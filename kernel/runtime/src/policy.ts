import { ALL_SCOPES, Role, Scope } from "./scopes.js";

/** A per-user override: allow or deny one action on one resource (or every resource with "*"). */
export interface PermissionRule {
  id: string;
  action: string;
  resourceType: string;
  resourceId: string;
  effect: "allow" | "deny";
}

/** Who is asking, as far as authorization is concerned. */
export interface PolicySubject {
  kind: "user" | "recipient";
  role: string;
  /** what the credential may do at most: an API token's scopes, or the role's ceiling for a session */
  scopes: readonly string[];
  /** `role` when `scopes` is the role's ceiling itself (a user as a whole, a session): refusals then name the role */
  scopesFrom?: "credential" | "role";
  permissions: readonly PermissionRule[];
}

export interface PolicyRequest {
  action: Scope;
  /** the resource acted on; omitted for collection operations (list, create) */
  resource?: { type: string; id: string };
}

export interface Decision {
  allowed: boolean;
  /** why, in words an admin understands */
  reason: string;
  /** for a collection read allowed only through per-resource grants: the ids that may be seen */
  restrictTo?: string[];
}

/**
 * The most a role can ever do (token scopes are capped by it). Owners and admins hold every scope by role;
 * executors hold nothing by role and act only through explicit grants, within this ceiling.
 */
export const ROLE_SCOPE_CEILING: Readonly<Record<Role, readonly Scope[]>> = {
  owner: ALL_SCOPES,
  admin: ALL_SCOPES,
  executor: [
    Scope.BundlesRead,
    Scope.BundlesWrite,
    Scope.FilesRead,
    Scope.FilesWrite,
    Scope.RecipientsRead,
    Scope.RecipientsWrite,
    Scope.PipelinesRun,
    Scope.PipelinesWrite,
    Scope.AuditRead,
    Scope.TokensRead,
    Scope.TokensWrite,
  ],
};

/** Scopes a new API token gets when none are asked for (seed row "scope defaults"). */
export const ROLE_DEFAULT_TOKEN_SCOPES: Readonly<Record<Role, readonly Scope[]>> = {
  owner: ALL_SCOPES,
  admin: ALL_SCOPES.filter((s) => s !== Scope.UsersAdmin),
  executor: [Scope.BundlesRead, Scope.PipelinesRun],
};

const ROLES_ALLOWED_BY_DEFAULT = new Set<string>([Role.Owner, Role.Admin]);
/** Actions on a user's own credentials: every role may take them by default (deny overrides still apply). */
const SELF_SERVICE_ACTIONS = new Set<string>([Scope.TokensRead, Scope.TokensWrite]);

export function isRole(value: string): value is Role {
  return value === Role.Owner || value === Role.Admin || value === Role.Executor;
}

function matches(rule: PermissionRule, request: PolicyRequest): boolean {
  if (rule.action !== request.action) return false;
  if (rule.resourceType === "*") return true;
  if (!request.resource || rule.resourceType !== request.resource.type) return false;
  return rule.resourceId === "*" || rule.resourceId === request.resource.id;
}

/**
 * The one authorization decision: may this subject perform this action on this resource, and why.
 * Order: recipients never use the admin API → the credential's scopes cap everything → an explicit deny
 * wins → an explicit allow → the role's default (owners and admins yes, executors no, everyone yes for the
 * self-service token actions). A collection read
 * by an executor with grants on some resources of that type is allowed, restricted to those ids.
 */
export function decide(subject: PolicySubject, request: PolicyRequest): Decision {
  const { action } = request;
  if (subject.kind !== "user") return { allowed: false, reason: "recipients cannot use the admin API" };
  if (!subject.scopes.includes(action)) {
    return {
      allowed: false,
      reason:
        subject.scopesFrom === "role"
          ? `the ${subject.role} role never holds the ${action} scope`
          : `the credential does not carry the ${action} scope`,
    };
  }
  const matching = subject.permissions.filter((rule) => matches(rule, request));
  const deny = matching.find((rule) => rule.effect === "deny");
  if (deny) return { allowed: false, reason: `denied by permission override ${deny.id}` };
  const allow = matching.find((rule) => rule.effect === "allow");
  if (allow) return { allowed: true, reason: `allowed by permission grant ${allow.id}` };
  if (
    ROLES_ALLOWED_BY_DEFAULT.has(subject.role) ||
    (isRole(subject.role) && SELF_SERVICE_ACTIONS.has(action))
  ) {
    return { allowed: true, reason: `the ${subject.role} role allows ${action}` };
  }
  if (!request.resource) {
    const ids = subject.permissions
      .filter((rule) => rule.effect === "allow" && rule.action === action && rule.resourceId !== "*")
      .map((rule) => rule.resourceId);
    if (ids.length > 0) {
      return {
        allowed: true,
        reason: `allowed for ${ids.length} granted resource(s)`,
        restrictTo: [...new Set(ids)],
      };
    }
  }
  return { allowed: false, reason: `the ${subject.role} role needs an explicit grant for ${action}` };
}

/** What a decision on a whole collection means: every resource, none, or only the listed ids. */
export type ScopeAccess = "all" | "none" | string[];

export const accessOf = (decision: Decision): ScopeAccess =>
  !decision.allowed ? "none" : (decision.restrictTo ?? "all");

/**
 * The subject's decision for each scope on its whole collection, in `ALL_SCOPES` order: the effective
 * permissions table (`getMe` for the caller, `getUserAccess` for a user as a whole).
 */
export function decideEveryScope(subject: PolicySubject): { action: Scope; decision: Decision }[] {
  return ALL_SCOPES.map((action) => ({ action, decision: decide(subject, { action }) }));
}
