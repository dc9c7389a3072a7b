import {
  CallerKind,
  mayManageUser,
  type PolicySubject,
  permissionDenied,
  type RequestContext,
  subjectOf,
  unauthenticated,
} from "@latchflow/runtime";
import type { EntityManager } from "@latchflow/runtime/db";
import { ApiToken, Permission, User } from "../entities/index.js";
import { permissionToProto } from "./authenticate.js";

/**
 * The credential behind a request, read from the auth database (not from what the gateway forwarded): what it
 * may grant onwards. A token's ceiling is its own scopes (within its role) and expiry; a session's is its
 * role's scopes and no expiry (a session's absolute end does not cap the tokens made with it).
 */
export interface Presenter {
  user: User;
  subject: PolicySubject;
  scopes: readonly string[];
  expiresAt: Date | null;
}

export async function presenterOf(em: EntityManager, ctx: RequestContext): Promise<Presenter> {
  const caller = ctx.caller;
  let userId: string;
  let token: ApiToken | null = null;
  if (caller?.kind === CallerKind.Token && caller.userId) {
    token = await em.findOne(ApiToken, { id: caller.id, tenant: ctx.tenant, userId: caller.userId });
    if (!token || token.revokedAt) throw unauthenticated();
    userId = caller.userId;
  } else if (caller?.kind === CallerKind.User) {
    userId = caller.id;
  } else {
    throw unauthenticated();
  }
  const user = await em.findOne(User, { id: userId, tenant: ctx.tenant });
  if (!user?.active) throw permissionDenied();
  const permissions = await em.find(Permission, { userId: user.id, tenant: user.tenant });
  const subject = subjectOf({
    kind: "user",
    role: user.role,
    ...(token ? { scopes: token.scopes.split(" ").filter(Boolean) } : {}),
    permissions: permissions.map(permissionToProto),
  });
  return { user, subject, scopes: subject.scopes, expiresAt: token?.expiresAt ?? null };
}

/** May the presenter manage `target`'s credentials and permissions? Always for oneself. */
export function mayManage(presenter: Presenter, target: { id: string; role: string }): boolean {
  return target.id === presenter.user.id || mayManageUser(presenter.subject, target).allowed;
}

/** Throws unless the presenter may manage `target` (a 403 naming why). */
export function assertMayManage(presenter: Presenter, target: { id: string; role: string }): void {
  if (target.id === presenter.user.id) return;
  const decision = mayManageUser(presenter.subject, target);
  if (!decision.allowed) throw permissionDenied(`Not allowed: ${decision.reason}`, { userId: target.id });
}

/**
 * Throws unless the presenter may change `target`'s permission overrides. Nobody loosens their own limits:
 * one's own overrides are changed by an owner (an owner's own included).
 */
export function assertMayChangePermissions(presenter: Presenter, target: { id: string; role: string }): void {
  if (target.id === presenter.user.id && presenter.user.role !== "owner") {
    throw permissionDenied("Your own permissions are changed by an owner", { userId: target.id });
  }
  assertMayManage(presenter, target);
}

/**
 * Refuses a token (new, rotated or device-issued) that would exceed the presenting credential: every scope
 * must be the presenter's, and it must expire no later than the presenter does.
 */
export function assertWithinCeiling(
  presenter: Presenter,
  scopes: readonly string[],
  expiresAt: Date | null,
): void {
  const beyond = scopes.filter((s) => !presenter.scopes.includes(s));
  if (beyond.length) {
    throw permissionDenied(`Your credential cannot grant: ${beyond.join(", ")}`, { scopes: beyond });
  }
  if (presenter.expiresAt && (!expiresAt || expiresAt > presenter.expiresAt)) {
    throw permissionDenied("A token cannot outlive the credential that makes it", {
      maxExpiresAt: presenter.expiresAt.toISOString(),
    });
  }
}
