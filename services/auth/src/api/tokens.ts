import type { authV1 } from "@latchflow/proto";
import {
  decide,
  isRole,
  newId,
  notFound,
  permissionDenied,
  type RequestContext,
  ROLE_DEFAULT_TOKEN_SCOPES,
  roleCeiling,
  Scope,
  validationFailed,
} from "@latchflow/runtime";
import type { EntityManager } from "@latchflow/runtime/db";
import { emitEvent as emit } from "@latchflow/runtime/db";
import type { AuthContext } from "../context.js";
import { ApiToken, User } from "../entities/index.js";
import { hashSecret, mintToken } from "../secrets.js";
import { assertWithinCeiling, mayManage, type Presenter, presenterOf } from "./presenter.js";

const MAX_EXPIRY_SECONDS = 5 * 365 * 24 * 3600;

export function tokenToProto(t: ApiToken): authV1.TokenInfo {
  return {
    id: t.id,
    userId: t.userId,
    name: t.name,
    scopes: t.scopes.split(" ").filter(Boolean),
    createdAt: t.createdAt,
    ...(t.expiresAt ? { expiresAt: t.expiresAt } : {}),
    ...(t.lastUsedAt ? { lastUsedAt: t.lastUsedAt } : {}),
    ...(t.revokedAt ? { revokedAt: t.revokedAt } : {}),
  };
}

/** Requested scopes, checked against what the user may hold; none requested = the role's defaults. */
export function grantableScopes(user: User, requested: readonly string[]): string[] {
  if (!isRole(user.role)) return [];
  if (requested.length === 0) return [...ROLE_DEFAULT_TOKEN_SCOPES[user.role]];
  const ceiling = new Set(roleCeiling(user.role));
  const unknown = requested.filter((s) => !(Object.values(Scope) as string[]).includes(s));
  if (unknown.length)
    throw validationFailed(`Unknown scopes: ${unknown.join(", ")}`, { field: "scopes", unknown });
  const beyond = requested.filter((s) => !ceiling.has(s));
  if (beyond.length) {
    throw permissionDenied(`The ${user.role} role cannot hold: ${beyond.join(", ")}`, { scopes: beyond });
  }
  return [...new Set(requested)];
}

/** Issues a token for `user` inside the caller's transaction; returns the secret once. */
export async function issueToken(
  em: EntityManager,
  ctx: RequestContext,
  user: User,
  input: { name: string; scopes: string[]; expiresAt: Date | null; now: Date },
): Promise<{ token: string; row: ApiToken }> {
  const id = newId(input.now);
  const token = mintToken(id);
  const row = em.create(ApiToken, {
    id,
    tenant: user.tenant,
    userId: user.id,
    name: input.name,
    tokenHash: hashSecret(token),
    scopes: input.scopes.join(" "),
    createdAt: input.now,
    expiresAt: input.expiresAt,
    lastUsedAt: null,
    revokedAt: null,
  });
  await emit(
    em,
    ctx,
    "auth.token.created",
    { tokenId: id, userId: user.id },
    { tokenId: id, userId: user.id, scopes: input.scopes },
  );
  return { token, row };
}

/** The role's default token scopes, narrowed to what the presenting credential holds. */
export function defaultScopesFor(presenter: Presenter): string[] {
  return grantableScopes(presenter.user, []).filter((s) => presenter.scopes.includes(s));
}

export function createTokensApi(auth: AuthContext) {
  /** A token the presenter may manage: its own, or one of a user it may manage; any other does not exist. */
  const manageableToken = async (
    em: EntityManager,
    presenter: Presenter,
    ctx: RequestContext,
    id: string,
  ) => {
    const token = await em.findOne(ApiToken, { id, tenant: ctx.tenant });
    const owner = token && (await em.findOne(User, { id: token.userId, tenant: ctx.tenant }));
    if (!token || !owner || !mayManage(presenter, owner)) throw notFound("Token not found", { tokenId: id });
    return { token, owner };
  };

  return {
    async createToken(req: authV1.CreateTokenRequest, ctx: RequestContext): Promise<authV1.CreatedToken> {
      const name = req.name.trim();
      if (!name || name.length > 200)
        throw validationFailed("name must be 1-200 characters", { field: "name" });
      if (req.expiresInSeconds > MAX_EXPIRY_SECONDS) {
        throw validationFailed("expiresInSeconds is at most 5 years", { field: "expiresInSeconds" });
      }
      const now = auth.now();
      const result = await auth.db.em().transactional(async (em) => {
        const presenter = await presenterOf(em, ctx);
        const { user } = presenter;
        const scopes = req.scopes.length ? grantableScopes(user, req.scopes) : defaultScopesFor(presenter);
        // without an asked-for lifetime a token made by an expiring token expires with it
        const expiresAt = req.expiresInSeconds
          ? new Date(now.getTime() + req.expiresInSeconds * 1000)
          : presenter.expiresAt;
        assertWithinCeiling(presenter, scopes, expiresAt);
        return issueToken(em, ctx, user, { name, scopes, expiresAt, now });
      });
      auth.relay.nudge();
      return { token: result.token, info: tokenToProto(result.row) };
    },

    async listTokens(req: authV1.ListTokensRequest, ctx: RequestContext): Promise<authV1.ListTokensResponse> {
      const em = auth.db.em();
      const presenter = await presenterOf(em, ctx);
      if (!req.all) {
        const rows = await em.find(
          ApiToken,
          { tenant: ctx.tenant, userId: presenter.user.id },
          { orderBy: { id: "desc" } },
        );
        return { tokens: rows.map(tokenToProto) };
      }
      if (!decide(presenter.subject, { action: Scope.UsersAdmin }).allowed) {
        throw permissionDenied("Listing every token needs users:admin");
      }
      // every token of the users the presenter may manage (an admin sees no owner's token)
      const users = await em.find(User, { tenant: ctx.tenant });
      const manageable = users.filter((u) => mayManage(presenter, u)).map((u) => u.id);
      const rows = await em.find(
        ApiToken,
        { tenant: ctx.tenant, userId: { $in: manageable } },
        { orderBy: { id: "desc" } },
      );
      return { tokens: rows.map(tokenToProto) };
    },

    /** A new secret for the same token id; the old secret stops working at once. */
    async rotateToken(req: authV1.RotateTokenRequest, ctx: RequestContext): Promise<authV1.CreatedToken> {
      const now = auth.now();
      const result = await auth.db.em().transactional(async (em) => {
        const presenter = await presenterOf(em, ctx);
        const { token, owner } = await manageableToken(em, presenter, ctx, req.id);
        // the new secret acts as the token's user (their permission overrides, their name in the audit log):
        // only that user may receive it; a manager revokes another user's token instead
        if (token.userId !== presenter.user.id) {
          throw permissionDenied("Only a token's own user can rotate it; revoke it instead", {
            tokenId: token.id,
          });
        }
        if (token.revokedAt || (token.expiresAt && token.expiresAt <= now)) {
          throw validationFailed("A revoked or expired token cannot be rotated", { tokenId: token.id });
        }
        // whoever receives the new secret holds the token's power: it must be within their own credential's
        const ceiling = roleCeiling(owner.role);
        const effective = token.scopes.split(" ").filter((s) => ceiling.includes(s));
        assertWithinCeiling(presenter, effective, token.expiresAt ?? null);
        const secret = mintToken(token.id);
        token.tokenHash = hashSecret(secret);
        token.lastUsedAt = null;
        await emit(
          em,
          ctx,
          "auth.token.rotated",
          { tokenId: token.id, userId: token.userId },
          { tokenId: token.id, userId: token.userId },
        );
        return { secret, token };
      });
      auth.relay.nudge();
      return { token: result.secret, info: tokenToProto(result.token) };
    },

    async revokeToken(req: authV1.RevokeTokenRequest, ctx: RequestContext): Promise<authV1.TokenInfo> {
      const now = auth.now();
      const token = await auth.db.em().transactional(async (em) => {
        const { token: t } = await manageableToken(em, await presenterOf(em, ctx), ctx, req.id);
        if (!t.revokedAt) {
          t.revokedAt = now;
          await emit(
            em,
            ctx,
            "auth.token.revoked",
            { tokenId: t.id, userId: t.userId },
            { tokenId: t.id, userId: t.userId },
          );
        }
        return t;
      });
      auth.relay.nudge();
      return tokenToProto(token);
    },
  };
}
