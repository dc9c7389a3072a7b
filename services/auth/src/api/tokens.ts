import type { authV1 } from "@latchflow/proto";
import type { EntityManager } from "@latchflow/runtime";
import {
  emitEvent as emit,
  isRole,
  newId,
  notFound,
  permissionDenied,
  type RequestContext,
  ROLE_DEFAULT_TOKEN_SCOPES,
  Scope,
  validationFailed,
} from "@latchflow/runtime";
import { type AuthContext, callerUserId } from "../context.js";
import { ApiToken, User } from "../entities/index.js";
import { hashSecret, mintToken } from "../secrets.js";
import { roleCeiling } from "./authenticate.js";

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
export function issueToken(
  em: EntityManager,
  ctx: RequestContext,
  user: User,
  input: { name: string; scopes: string[]; expiresAt: Date | null; now: Date },
): { token: string; row: ApiToken } {
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
  emit(
    em,
    ctx,
    "auth.token.created",
    { tokenId: id, userId: user.id },
    { tokenId: id, userId: user.id, scopes: input.scopes },
  );
  return { token, row };
}

export function createTokensApi(auth: AuthContext) {
  const mayManageAll = (ctx: RequestContext) => ctx.caller?.scopes?.includes(Scope.UsersAdmin) ?? false;

  const ownToken = async (em: EntityManager, ctx: RequestContext, id: string) => {
    const token = await em.findOne(ApiToken, { id, tenant: ctx.tenant });
    if (!token || (token.userId !== callerUserId(ctx) && !mayManageAll(ctx))) {
      throw notFound("Token not found", { tokenId: id });
    }
    return token;
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
        const user = await em.findOne(User, { id: callerUserId(ctx), tenant: ctx.tenant });
        if (!user?.active) throw permissionDenied();
        const scopes = grantableScopes(user, req.scopes);
        const expiresAt = req.expiresInSeconds ? new Date(now.getTime() + req.expiresInSeconds * 1000) : null;
        return issueToken(em, ctx, user, { name, scopes, expiresAt, now });
      });
      auth.relay.nudge();
      return { token: result.token, info: tokenToProto(result.row) };
    },

    async listTokens(req: authV1.ListTokensRequest, ctx: RequestContext): Promise<authV1.ListTokensResponse> {
      if (req.all && !mayManageAll(ctx)) throw permissionDenied("Listing every token needs users:admin");
      const rows = await auth.db
        .em()
        .find(
          ApiToken,
          req.all ? { tenant: ctx.tenant } : { tenant: ctx.tenant, userId: callerUserId(ctx) },
          { orderBy: { id: "desc" } },
        );
      return { tokens: rows.map(tokenToProto) };
    },

    /** A new secret for the same token id; the old secret stops working at once. */
    async rotateToken(req: authV1.RotateTokenRequest, ctx: RequestContext): Promise<authV1.CreatedToken> {
      const now = auth.now();
      const result = await auth.db.em().transactional(async (em) => {
        const token = await ownToken(em, ctx, req.id);
        if (token.revokedAt || (token.expiresAt && token.expiresAt <= now)) {
          throw validationFailed("A revoked or expired token cannot be rotated", { tokenId: token.id });
        }
        const secret = mintToken(token.id);
        token.tokenHash = hashSecret(secret);
        token.lastUsedAt = null;
        emit(
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
        const t = await ownToken(em, ctx, req.id);
        if (!t.revokedAt) {
          t.revokedAt = now;
          emit(
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
