/** Why a passphrase step refused; travels in the error's `details.reason`. */
export const PassphraseReason = {
  Required: "passphrase_required",
  Invalid: "passphrase_invalid",
  Locked: "passphrase_locked",
} as const;
export type PassphraseReason = (typeof PassphraseReason)[keyof typeof PassphraseReason];

/** Why a download was refused; travels in the error's `details.reason` (clients show one message per reason). */
export const DownloadRefusal = {
  Disabled: "assignment_disabled",
  BundleDisabled: "bundle_disabled",
  BundleEmpty: "bundle_empty",
  LimitReached: "download_limit_reached",
  /** `details.availableAt` and the Retry-After header say when */
  Cooldown: "cooldown",
  /** `details.availableAt` says when */
  NotYetOpen: "window_not_open",
  Closed: "window_closed",
  PassphraseRequired: PassphraseReason.Required,
  PassphraseInvalid: PassphraseReason.Invalid,
  PassphraseLocked: PassphraseReason.Locked,
  /** the sender asked the recipient to confirm they read the message before the first download */
  AcknowledgementRequired: "acknowledgement_required",
  /** the grant's assignment was deleted after the grant was given */
  AssignmentDeleted: "assignment_deleted",
  /** the grant has served its archive (plus the resume allowance); a new download must be consumed */
  GrantExhausted: "grant_exhausted",
  /** the grant was presented by another session than the one that obtained it */
  OtherSession: "grant_other_session",
  /** the publish link's uses are spent (a request serving from byte 0, or beyond a use's bytes, is a use) */
  LinkUsedUp: "link_used_up",
  /** the link's signature or expiry does not hold */
  LinkInvalid: "link_invalid",
} as const;
export type DownloadRefusal = (typeof DownloadRefusal)[keyof typeof DownloadRefusal];

/** Why a permission check refused beyond a missing scope; travels in `details.reason`. */
export const PermissionReason = {
  /** the caller holds only per-resource grants and asked for a whole collection */
  PerResourceGrantsOnly: "per_resource_grants_only",
  /** a cookie-authenticated change without the CSRF header */
  Csrf: "csrf",
} as const;
export type PermissionReason = (typeof PermissionReason)[keyof typeof PermissionReason];

/** Why a change was refused as a conflict beyond a plain clash of names; travels in `details.reason`. */
export const ConflictReason = {
  /**
   * a file still in bundles cannot be deleted: `details.bundles` names those the caller may read (`{ id, name }`),
   * `details.otherBundles` counts the rest, `details.bundleIds` lists them all
   */
  FileInBundles: "file_in_bundles",
} as const;
export type ConflictReason = (typeof ConflictReason)[keyof typeof ConflictReason];

/** Why the audit chain does not verify; `verify` answers with the first break. */
export const AuditBreakReason = {
  /** the record's content no longer matches its hash */
  HashMismatch: "hash_mismatch",
  /** the record's prevHash is not the previous record's hash */
  LinkMismatch: "link_mismatch",
  /** sequence numbers are missing (records deleted) */
  Gap: "gap",
  /** sequence numbers repeat or go backwards (export files only) */
  OutOfOrder: "out_of_order",
  /** an indexed subject column disagrees with the record's subject ids */
  IndexMismatch: "index_mismatch",
  /** records at the end are missing (the head or a checkpoint names a later record) */
  Truncated: "truncated",
  /** a checkpoint's hash is not the hash of the record at its seq */
  CheckpointMismatch: "checkpoint_mismatch",
  /** a checkpoint's signature does not verify */
  CheckpointSignatureInvalid: "checkpoint_signature_invalid",
  /** no checkpoint signed by the key at a multiple of `checkpointEvery` (deleted, or re-signed by another key) */
  CheckpointMissing: "checkpoint_missing",
} as const;
export type AuditBreakReason = (typeof AuditBreakReason)[keyof typeof AuditBreakReason];
