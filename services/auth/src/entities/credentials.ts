import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const ApiToken = defineEntity({
  name: "ApiToken",
  tableName: "api_tokens",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    userId: p.string().length(26).fieldName("user_id"),
    name: p.string().length(200),
    /** sha256 (hex) of the whole presented token; secrets are ≥ 32 random bytes so a fast hash is enough */
    tokenHash: p.string().length(64).unique().fieldName("token_hash"),
    /** space-separated scopes */
    scopes: p.text(),
    createdAt: p.datetime().fieldName("created_at"),
    expiresAt: p.datetime().nullable().fieldName("expires_at"),
    lastUsedAt: p.datetime().nullable().fieldName("last_used_at"),
    revokedAt: p.datetime().nullable().fieldName("revoked_at"),
  },
});
export type ApiToken = InferEntity<typeof ApiToken>;

/** A signed-in browser (user or recipient). Only hashes of the cookie value and CSRF token are stored. */
export const Session = defineEntity({
  name: "Session",
  tableName: "sessions",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    /** "user" | "recipient" */
    subjectKind: p.string().length(10).fieldName("subject_kind"),
    subjectId: p.string().length(26).fieldName("subject_id"),
    tokenHash: p.string().length(64).unique().fieldName("token_hash"),
    csrfHash: p.string().length(64).fieldName("csrf_hash"),
    ip: p.string().length(64).default(""),
    userAgent: p.string().length(512).default("").fieldName("user_agent"),
    createdAt: p.datetime().fieldName("created_at"),
    lastSeenAt: p.datetime().fieldName("last_seen_at"),
    expiresAt: p.datetime().fieldName("expires_at"),
    revokedAt: p.datetime().nullable().fieldName("revoked_at"),
    /** recipient sessions: the device (recipient_devices.id) it was opened on; null for older sessions */
    deviceId: p.string().length(26).nullable().fieldName("device_id"),
  },
});
export type Session = InferEntity<typeof Session>;

/** A single-use admin sign-in link. */
export const MagicLink = defineEntity({
  name: "MagicLink",
  tableName: "magic_links",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    email: p.string().length(320),
    tokenHash: p.string().length(64).unique().fieldName("token_hash"),
    next: p.string().length(500).default(""),
    createdAt: p.datetime().fieldName("created_at"),
    expiresAt: p.datetime().fieldName("expires_at"),
    usedAt: p.datetime().nullable().fieldName("used_at"),
  },
});
export type MagicLink = InferEntity<typeof MagicLink>;

/** A recipient's one-time code. */
export const OtpChallenge = defineEntity({
  name: "OtpChallenge",
  tableName: "otp_challenges",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    recipientId: p.string().length(26).fieldName("recipient_id"),
    codeHash: p.string().length(64).fieldName("code_hash"),
    attempts: p.integer().default(0),
    createdAt: p.datetime().fieldName("created_at"),
    expiresAt: p.datetime().fieldName("expires_at"),
    usedAt: p.datetime().nullable().fieldName("used_at"),
  },
});
export type OtpChallenge = InferEntity<typeof OtpChallenge>;

/** An RFC 8628 device authorization request. */
export const DeviceGrant = defineEntity({
  name: "DeviceGrant",
  tableName: "device_grants",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    deviceCodeHash: p.string().length(64).unique().fieldName("device_code_hash"),
    userCode: p.string().length(8).fieldName("user_code"),
    clientId: p.string().length(100).fieldName("client_id"),
    scopes: p.text(),
    /** "pending" | "approved" | "denied" | "issued" */
    status: p.string().length(10),
    userId: p.string().length(26).nullable().fieldName("user_id"),
    intervalSeconds: p.integer().fieldName("interval_seconds"),
    lastPolledAt: p.datetime().nullable().fieldName("last_polled_at"),
    createdAt: p.datetime().fieldName("created_at"),
    expiresAt: p.datetime().fieldName("expires_at"),
    /** the scopes the token will carry, fixed at approval within the approving credential's (space-separated) */
    approvedScopes: p.text().nullable().fieldName("approved_scopes"),
    /** when the issued token expires: the approving token's expiry (null: never) */
    tokenExpiresAt: p.datetime().nullable().fieldName("token_expires_at"),
  },
});
export type DeviceGrant = InferEntity<typeof DeviceGrant>;
