import type { authV1 } from "@latchflow/proto";
import { type Database, type RequestContext, unauthenticated } from "@latchflow/runtime";
import { ApiToken, User } from "./entities.js";
import { hashToken } from "./tokens.js";

/** last_used_at is written at most this often per token, to keep authentication read-mostly */
const LAST_USED_RESOLUTION_MS = 60_000;
const MAX_TOKEN_LENGTH = 512;

/** The auth gRPC API. */
export function createAuthApi(db: Database) {
  return {
    async authenticate(req: authV1.AuthenticateRequest, _ctx: RequestContext): Promise<authV1.Identity> {
      const presented = req.token.trim();
      if (!presented || presented.length > MAX_TOKEN_LENGTH)
        throw unauthenticated("Invalid or expired token");
      const em = db.em();
      const token = await em.findOne(ApiToken, { tokenHash: hashToken(presented) });
      const now = new Date();
      if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= now)) {
        throw unauthenticated("Invalid or expired token");
      }
      const user = await em.findOne(User, { id: token.userId, tenant: token.tenant });
      if (!user?.active) throw unauthenticated("Invalid or expired token");
      if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
        await em.nativeUpdate(ApiToken, { id: token.id }, { lastUsedAt: now });
      }
      return {
        tenant: token.tenant,
        userId: user.id,
        email: user.email,
        role: user.role,
        tokenId: token.id,
        scopes: token.scopes.split(" ").filter(Boolean),
      };
    },
  };
}
