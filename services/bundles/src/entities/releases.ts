import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

/** A bundle assigned to a recipient, with limits. Counters change only through one conditional UPDATE. */
export const Assignment = defineEntity({
  name: "Assignment",
  tableName: "assignments",
  uniques: [{ properties: ["bundleId", "recipientId"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    bundleId: p.string().length(26).fieldName("bundle_id"),
    recipientId: p.string().length(26).fieldName("recipient_id"),
    /** null = unlimited */
    maxDownloads: p.integer().nullable().fieldName("max_downloads"),
    cooldownSeconds: p.integer().default(0).fieldName("cooldown_seconds"),
    notBefore: p.datetime().nullable().fieldName("not_before"),
    notAfter: p.datetime().nullable().fieldName("not_after"),
    passphraseHash: p.string().length(200).nullable().fieldName("passphrase_hash"),
    enabled: p.boolean().default(true),
    downloadsUsed: p.integer().default(0).fieldName("downloads_used"),
    lastDownloadAt: p.datetime().nullable().fieldName("last_download_at"),
    /** last download + cooldown: the cooldown check needs no date arithmetic in SQL */
    cooldownUntil: p.datetime().nullable().fieldName("cooldown_until"),
    /** what the sender wrote for the recipient (plain text, MESSAGE_RULE); "" = none */
    message: p.text().default(""),
    /** the recipient must acknowledge the message before the first download */
    acknowledgementRequired: p.boolean().default(false).fieldName("acknowledgement_required"),
    /** when the recipient acknowledged the current message; null = not yet (or the message changed since) */
    acknowledgedAt: p.datetime().nullable().fieldName("acknowledged_at"),
    createdAt: p.datetime().fieldName("created_at"),
    updatedAt: p.datetime().fieldName("updated_at"),
  },
});
export type Assignment = InferEntity<typeof Assignment>;

/**
 * One consumed download: a short-lived capability, bound to the recipient session that obtained it, to fetch
 * one archive version once (resumable: it may serve the archive's size plus a resume allowance).
 */
export const DownloadGrant = defineEntity({
  name: "DownloadGrant",
  tableName: "download_grants",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    assignmentId: p.string().length(26).fieldName("assignment_id"),
    bundleId: p.string().length(26).fieldName("bundle_id"),
    recipientId: p.string().length(26).fieldName("recipient_id"),
    versionId: p.string().length(26).fieldName("version_id"),
    tokenHash: p.string().length(64).unique().fieldName("token_hash"),
    deviceId: p.string().length(64).default("").fieldName("device_id"),
    newDevice: p.boolean().default(false).fieldName("new_device"),
    ip: p.string().length(64).default(""),
    userAgent: p.string().length(512).default("").fieldName("user_agent"),
    /** the recipient session that consumed the download; only it may fetch (empty on pre-0003 rows) */
    sessionId: p.string().length(64).default("").fieldName("session_id"),
    /** bytes reserved by requests, minus those given back unsent; only a conditional UPDATE changes it */
    bytesServed: p.bigint("number").default(0).fieldName("bytes_served"),
    /** when a response finished writing the archive's last byte; null = not (yet) completed (0006) */
    completedAt: p.datetime().nullable().fieldName("completed_at"),
    createdAt: p.datetime().fieldName("created_at"),
    expiresAt: p.datetime().fieldName("expires_at"),
  },
});
export type DownloadGrant = InferEntity<typeof DownloadGrant>;

/** A signed, expiring, use-limited public link to a bundle. */
export const PublishLink = defineEntity({
  name: "PublishLink",
  tableName: "publish_links",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    bundleId: p.string().length(26).fieldName("bundle_id"),
    tokenHash: p.string().length(64).unique().fieldName("token_hash"),
    /** null = unlimited */
    maxUses: p.integer().nullable().fieldName("max_uses"),
    uses: p.integer().default(0),
    /** bytes served across all uses (see ADR 015); only a conditional UPDATE changes it */
    bytesServed: p.bigint("number").default(0).fieldName("bytes_served"),
    expiresAt: p.datetime().fieldName("expires_at"),
    createdAt: p.datetime().fieldName("created_at"),
    revokedAt: p.datetime().nullable().fieldName("revoked_at"),
  },
});
export type PublishLink = InferEntity<typeof PublishLink>;
