import type { authV1 } from "@latchflow/proto";
import { type Database, dateFromSql, sqlTable } from "@latchflow/runtime/db";

/** The credential (API token or user session) and its user behind a presented hash, with the user's permissions. */
export interface UserCredential {
  credential: {
    id: string;
    tenant: string;
    /** API token: its scopes (space-separated); session: empty */
    scopes: string;
    /** session: its CSRF hash; API token: empty */
    csrfHash: string;
    expiresAt: Date | null;
    revokedAt: Date | null;
    /** API token: last use; session: last seen */
    lastUsedAt: Date | null;
    /** session: the recipient device it was opened on, if any */
    deviceId: string | null;
  };
  user: { id: string; tenant: string; email: string; role: string; active: boolean };
  permissions: authV1.Permission[];
}

interface Row {
  cred_id: string;
  cred_tenant: string;
  scopes: string;
  csrf_hash: string;
  expires_at: unknown;
  revoked_at: unknown;
  last_used_at: unknown;
  device_id: string | null;
  user_id: string;
  user_tenant: string;
  email: string;
  role: string;
  active: unknown;
  perm_id: string | null;
  action: string | null;
  resource_type: string | null;
  resource_id: string | null;
  effect: string | null;
  perm_created_at: unknown;
}

/**
 * One statement instead of three ORM queries (credential, user, permissions): the credential of `kind` whose
 * hash is `hash`, joined to its user in the same tenant and to that user's permissions. Undefined when no such
 * credential or user exists; the caller still checks revocation, expiry and `active`.
 */
export async function findUserCredential(
  db: Database,
  kind: "token" | "user_session",
  hash: string,
): Promise<UserCredential | undefined> {
  const credential =
    kind === "token"
      ? `SELECT c.id, c.tenant, c.scopes, '' AS csrf_hash, c.expires_at, c.revoked_at, c.last_used_at,
                NULL AS device_id, c.user_id
         FROM ${sqlTable(db, "api_tokens")} c WHERE c.token_hash = ?`
      : `SELECT c.id, c.tenant, '' AS scopes, c.csrf_hash, c.expires_at, c.revoked_at,
                c.last_seen_at AS last_used_at, c.device_id, c.subject_id AS user_id
         FROM ${sqlTable(db, "sessions")} c WHERE c.token_hash = ? AND c.subject_kind = 'user'`;
  const sql = `SELECT c.id AS cred_id, c.tenant AS cred_tenant, c.scopes, c.csrf_hash, c.expires_at, c.revoked_at,
      c.last_used_at, c.device_id, u.id AS user_id, u.tenant AS user_tenant, u.email, u.role, u.active,
      p.id AS perm_id, p.action, p.resource_type, p.resource_id, p.effect, p.created_at AS perm_created_at
    FROM (${credential}) c
    JOIN ${sqlTable(db, "users")} u ON u.id = c.user_id AND u.tenant = c.tenant
    LEFT JOIN ${sqlTable(db, "permissions")} p ON p.user_id = u.id AND p.tenant = u.tenant
    ORDER BY p.id`;
  const rows = (await db.em().getConnection().execute(sql, [hash])) as Row[];
  const first = rows[0];
  if (!first) return undefined;
  return {
    credential: {
      id: first.cred_id,
      tenant: first.cred_tenant,
      scopes: first.scopes,
      csrfHash: first.csrf_hash,
      expiresAt: dateFromSql(first.expires_at),
      revokedAt: dateFromSql(first.revoked_at),
      lastUsedAt: dateFromSql(first.last_used_at),
      deviceId: first.device_id,
    },
    user: {
      id: first.user_id,
      tenant: first.user_tenant,
      email: first.email,
      role: first.role,
      active: first.active === true || Number(first.active) === 1,
    },
    permissions: rows
      .filter((r) => r.perm_id !== null)
      .map((r) => ({
        id: r.perm_id!,
        userId: r.user_id,
        action: r.action!,
        resourceType: r.resource_type!,
        resourceId: r.resource_id!,
        effect: r.effect!,
        createdAt: dateFromSql(r.perm_created_at) ?? undefined,
      })),
  };
}
