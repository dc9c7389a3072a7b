import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

/**
 * A browser that signed in as a recipient, recognised by its device cookie (only the cookie's sha256 is
 * stored). A forgotten device keeps its row (`forgottenAt` set) so its key is never recognised again.
 */
export const RecipientDevice = defineEntity({
  name: "RecipientDevice",
  tableName: "recipient_devices",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    recipientId: p.string().length(26).fieldName("recipient_id"),
    /** sha256 (hex) of the device cookie */
    keyHash: p.string().length(64).fieldName("key_hash"),
    name: p.string().length(60).default(""),
    userAgent: p.string().length(512).default("").fieldName("user_agent"),
    firstSeenAt: p.datetime().fieldName("first_seen_at"),
    lastSeenAt: p.datetime().fieldName("last_seen_at"),
    /** the device that approved this one's pairing; null = signed in with an emailed code */
    pairedBy: p.string().length(26).nullable().fieldName("paired_by"),
    forgottenAt: p.datetime().nullable().fieldName("forgotten_at"),
  },
});
export type RecipientDevice = InferEntity<typeof RecipientDevice>;

/**
 * A pairing started by a signed-in recipient device: a short code (stored as a keyed hash), at most one
 * claimant (a browser holding the claim secret, stored hashed), then the first device's decision.
 */
export const Pairing = defineEntity({
  name: "Pairing",
  tableName: "pairings",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    recipientId: p.string().length(26).fieldName("recipient_id"),
    /** the device that started it (and must confirm); null for sessions from before devices existed */
    deviceId: p.string().length(26).nullable().fieldName("device_id"),
    codeHash: p.string().length(64).unique().fieldName("code_hash"),
    /** "waiting" | "claimed" | "approved" | "denied" */
    status: p.string().length(10),
    claimHash: p.string().length(64).nullable().fieldName("claim_hash"),
    claimantUserAgent: p.string().length(512).default("").fieldName("claimant_user_agent"),
    claimantIp: p.string().length(64).default("").fieldName("claimant_ip"),
    /** sha256 of the claimant browser's device cookie */
    claimantKeyHash: p.string().length(64).nullable().fieldName("claimant_key_hash"),
    claimedAt: p.datetime().nullable().fieldName("claimed_at"),
    decidedAt: p.datetime().nullable().fieldName("decided_at"),
    /** the device that approved (the session's device at approval) */
    approvedBy: p.string().length(26).nullable().fieldName("approved_by"),
    /** the claimant's device row, set at approval */
    newDeviceId: p.string().length(26).nullable().fieldName("new_device_id"),
    /** when the claimant received its session (once) */
    deliveredAt: p.datetime().nullable().fieldName("delivered_at"),
    createdAt: p.datetime().fieldName("created_at"),
    expiresAt: p.datetime().fieldName("expires_at"),
  },
});
export type Pairing = InferEntity<typeof Pairing>;
