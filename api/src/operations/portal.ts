import { z } from "zod";
import { bodyErrorResponses, ErrorBody, IdParams, PageQuery, page, rateLimitResponses } from "../common.js";
import { defineOperation } from "../operation.js";
import { DownloadRefusal, PassphraseReason } from "../reasons.js";
import { DEVICE_NAME_RULE, PAIRING_CODE_RULE, PASSPHRASE_RULE } from "../rules.js";
import { Assignment, AssignmentDownload } from "./assignments.js";

/** The signed-in recipient, as the portal shows them. */
export const PortalRecipient = z
  .object({ id: z.string(), email: z.string(), name: z.string() })
  .meta({ id: "PortalRecipient" });
export type PortalRecipient = z.output<typeof PortalRecipient>;

/** A bundle assigned to the signed-in recipient, with the assignment's limits summary. */
export const PortalBundle = z
  .object({ id: z.string(), name: z.string(), assignment: Assignment })
  .meta({ id: "PortalBundle" });
export type PortalBundle = z.output<typeof PortalBundle>;

/** One assigned bundle with what its archive holds. */
export const PortalBundleDetail = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    files: z.array(
      z.object({
        name: z.string().meta({ description: "the entry's path in the archive" }),
        size: z.number(),
      }),
    ),
    archive: z.object({ size: z.number(), files: z.number() }),
    assignment: Assignment,
  })
  .meta({ id: "PortalBundleDetail" });
export type PortalBundleDetail = z.output<typeof PortalBundleDetail>;

/** A download used: the short-lived URL that streams the archive once (resumable) to this session. */
export const DownloadGrant = z
  .object({
    url: z.string().meta({ description: "the /dl/{token} URL" }),
    expiresAt: z.iso.datetime(),
    newDevice: z.boolean().meta({ description: "the first download from this browser" }),
    assignment: Assignment,
  })
  .meta({ id: "DownloadGrant" });
export type DownloadGrant = z.output<typeof DownloadGrant>;

/** One entry of the recipient's download history: a download as the admin's log shows it, and which bundle. */
export const PortalDownload = AssignmentDownload.extend({
  bundleId: z.string(),
  bundleName: z.string(),
  thisDevice: z.boolean().meta({ description: "granted to the browser asking" }),
}).meta({ id: "PortalDownload" });

/** A browser that signed in as the recipient (recognised by an HttpOnly device cookie). */
export const PortalDevice = z
  .object({
    id: z.string(),
    name: z.string().meta({ description: '"" = not named yet' }),
    current: z.boolean().meta({ description: "the browser asking" }),
    userAgent: z.string().meta({ description: "as the browser reported it at its last sign-in" }),
    firstSeenAt: z.iso.datetime(),
    lastSeenAt: z.iso.datetime(),
    signedIn: z.boolean().meta({ description: "has a live session now" }),
    pairedBy: z.string().nullable().meta({
      description: "the device that confirmed this one's pairing; null = signed in with an emailed code",
    }),
  })
  .meta({ id: "PortalDevice" });
export type PortalDevice = z.output<typeof PortalDevice>;

/**
 * A pairing, as the signed-in device that started it sees it: `waiting` for the code to be entered elsewhere,
 * `claimed` by a device that awaits confirmation (described by `claimant`), then `approved`, `denied` or `expired`.
 */
export const PortalPairing = z
  .object({
    id: z.string(),
    code: z.string().meta({ description: 'e.g. "K7PX-3MQD" (see PAIRING_CODE_RULE)' }),
    url: z.string().meta({ description: "the portal page that enters the code; what the QR code holds" }),
    status: z.enum(["waiting", "claimed", "approved", "denied", "expired"]),
    expiresAt: z.iso.datetime(),
    claimant: z.object({ userAgent: z.string(), ip: z.string(), claimedAt: z.iso.datetime() }).nullable(),
  })
  .meta({ id: "PortalPairing" });
export type PortalPairing = z.output<typeof PortalPairing>;

/** A pairing as the device that entered the code sees it; `approved` means this browser is now signed in. */
export const PortalPairingClaim = z
  .object({
    status: z.enum(["pending", "approved", "denied", "expired"]),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: "PortalPairingClaim" });
export type PortalPairingClaim = z.output<typeof PortalPairingClaim>;
export type PortalDownload = z.output<typeof PortalDownload>;

const tag = "portal";
const access = { kind: "recipient" } as const;
const signIn = { 401: { description: "Not signed in to the portal", schema: ErrorBody } } as const;
const notAssigned = { 404: { description: "Not assigned to you", schema: ErrorBody } } as const;

export const getPortalMe = defineOperation({
  method: "get",
  path: "/api/v1/portal/me",
  operationId: "getPortalMe",
  summary: "The signed-in recipient",
  tag,
  access,
  responses: { 200: { description: "The recipient", schema: PortalRecipient }, ...signIn },
});

export const listPortalBundles = defineOperation({
  method: "get",
  path: "/api/v1/portal/bundles",
  operationId: "listPortalBundles",
  summary: "Bundles assigned to the recipient, each with its limits summary",
  tag,
  access,
  responses: {
    200: { description: "Bundles", schema: z.object({ items: z.array(PortalBundle) }) },
    ...signIn,
  },
});

export const getPortalBundle = defineOperation({
  method: "get",
  path: "/api/v1/portal/bundles/:id",
  operationId: "getPortalBundle",
  summary: "One assigned bundle with its files",
  tag,
  access,
  params: IdParams,
  responses: {
    200: { description: "The bundle", schema: PortalBundleDetail },
    ...signIn,
    ...notAssigned,
    422: { description: "Not a bundle id", schema: ErrorBody },
  },
});

export const consumePortalDownload = defineOperation({
  method: "post",
  path: "/api/v1/portal/bundles/:id/downloads",
  operationId: "consumePortalDownload",
  summary:
    "Use one download: returns a short-lived URL that streams the archive once (resumable) to this session",
  tag,
  access,
  params: IdParams,
  body: z
    .strictObject({ passphrase: z.string().max(PASSPHRASE_RULE.maxLength).optional() })
    .meta({ id: "ConsumeDownload" }),
  responses: {
    201: { description: "Granted", schema: DownloadGrant },
    400: { description: "Malformed JSON", schema: ErrorBody },
    ...signIn,
    403: {
      description: `Refused: details.reason is ${[
        DownloadRefusal.Disabled,
        DownloadRefusal.BundleDisabled,
        DownloadRefusal.BundleEmpty,
        DownloadRefusal.LimitReached,
        DownloadRefusal.NotYetOpen,
        DownloadRefusal.Closed,
        DownloadRefusal.PassphraseRequired,
        DownloadRefusal.PassphraseInvalid,
        DownloadRefusal.AcknowledgementRequired,
      ].join(", ")}; or no CSRF token (csrf)`,
      schema: ErrorBody,
    },
    ...notAssigned,
    ...bodyErrorResponses,
    422: { description: "The request does not match its schema", schema: ErrorBody },
    429: {
      description: `details.reason ${DownloadRefusal.Cooldown} (details.availableAt) or ${PassphraseReason.Locked} (too many wrong passphrases): see Retry-After`,
      schema: ErrorBody,
    },
  },
});

export const listPortalDownloads = defineOperation({
  method: "get",
  path: "/api/v1/portal/downloads",
  operationId: "listPortalDownloads",
  summary: "The recipient's download history, newest first; downloads from a new device are flagged",
  tag,
  access,
  query: PageQuery,
  responses: {
    200: { description: "A page of downloads", schema: page(PortalDownload) },
    400: { description: "Malformed cursor", schema: ErrorBody },
    ...signIn,
    422: { description: "The query does not match its schema", schema: ErrorBody },
  },
});

const csrf = { 403: { description: "No CSRF token (details.reason csrf)", schema: ErrorBody } } as const;

export const acknowledgePortalBundle = defineOperation({
  method: "post",
  path: "/api/v1/portal/bundles/:id/acknowledgement",
  operationId: "acknowledgePortalBundle",
  summary:
    "Confirm having read the sender's message (audited); the first one counts, repeats answer the same",
  tag,
  access,
  params: IdParams,
  responses: {
    200: { description: "Acknowledged (acknowledgedAt set)", schema: Assignment },
    ...signIn,
    ...csrf,
    ...notAssigned,
    422: { description: "Not a bundle id", schema: ErrorBody },
  },
});

export const listPortalDevices = defineOperation({
  method: "get",
  path: "/api/v1/portal/devices",
  operationId: "listPortalDevices",
  summary: "The browsers that signed in as the recipient, the one asking first",
  tag,
  access,
  responses: {
    200: { description: "Devices", schema: z.object({ items: z.array(PortalDevice) }) },
    ...signIn,
  },
});

export const renamePortalDevice = defineOperation({
  method: "patch",
  path: "/api/v1/portal/devices/:id",
  operationId: "renamePortalDevice",
  summary: "Name one of the recipient's devices",
  tag,
  access,
  params: IdParams,
  body: z
    .strictObject({
      name: z.string().trim().min(DEVICE_NAME_RULE.minLength).max(DEVICE_NAME_RULE.maxLength),
    })
    .meta({ id: "RenamePortalDevice" }),
  responses: {
    200: { description: "Renamed", schema: PortalDevice },
    400: { description: "Malformed JSON", schema: ErrorBody },
    ...signIn,
    ...csrf,
    404: { description: "Not one of your devices", schema: ErrorBody },
    ...bodyErrorResponses,
    422: { description: "The request does not match its schema", schema: ErrorBody },
  },
});

export const forgetPortalDevice = defineOperation({
  method: "delete",
  path: "/api/v1/portal/devices/:id",
  operationId: "forgetPortalDevice",
  summary:
    "Forget a device: its sessions end at once and its next sign-in counts as a new device (audited); forgetting the current one signs out",
  tag,
  access,
  params: IdParams,
  responses: {
    204: { description: "Forgotten" },
    ...signIn,
    ...csrf,
    404: { description: "Not one of your devices", schema: ErrorBody },
    422: { description: "Not a device id", schema: ErrorBody },
  },
});

export const startPortalPairing = defineOperation({
  method: "post",
  path: "/api/v1/portal/pairings",
  operationId: "startPortalPairing",
  summary:
    "Show a code (and QR code) another device can enter to be signed in as you once you confirm (audited)",
  tag,
  access,
  rateLimited: true,
  responses: {
    201: { description: "Started", schema: PortalPairing },
    ...signIn,
    ...csrf,
    ...rateLimitResponses,
  },
});

export const getPortalPairing = defineOperation({
  method: "get",
  path: "/api/v1/portal/pairings/:id",
  operationId: "getPortalPairing",
  summary: "A pairing this recipient started, with the device that entered its code (poll while waiting)",
  tag,
  access,
  params: IdParams,
  responses: {
    200: { description: "The pairing", schema: PortalPairing },
    ...signIn,
    404: { description: "Not one of your pairings", schema: ErrorBody },
    422: { description: "Not a pairing id", schema: ErrorBody },
  },
});

export const approvePortalPairing = defineOperation({
  method: "post",
  path: "/api/v1/portal/pairings/:id/approve",
  operationId: "approvePortalPairing",
  summary: "Confirm the device that entered the code: it is signed in as you (audited; forget it in Devices)",
  tag,
  access,
  params: IdParams,
  responses: {
    200: { description: "Approved", schema: PortalPairing },
    ...signIn,
    ...csrf,
    404: { description: "Not one of your pairings", schema: ErrorBody },
    409: { description: "No device is waiting, or the pairing already ended or expired", schema: ErrorBody },
    422: { description: "Not a pairing id", schema: ErrorBody },
  },
});

export const denyPortalPairing = defineOperation({
  method: "post",
  path: "/api/v1/portal/pairings/:id/deny",
  operationId: "denyPortalPairing",
  summary: "Refuse the device that entered the code (audited); the code is spent",
  tag,
  access,
  params: IdParams,
  responses: {
    200: { description: "Denied", schema: PortalPairing },
    ...signIn,
    ...csrf,
    404: { description: "Not one of your pairings", schema: ErrorBody },
    409: { description: "The pairing already ended or expired", schema: ErrorBody },
    422: { description: "Not a pairing id", schema: ErrorBody },
  },
});

export const claimPortalPairing = defineOperation({
  method: "post",
  path: "/api/v1/portal/pairing-claims",
  operationId: "claimPortalPairing",
  summary:
    "Enter a pairing code on a new device; sets an HttpOnly claim cookie this browser then polls with (one claimant per code)",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  body: z
    .strictObject({
      code: z
        .string()
        .trim()
        .min(PAIRING_CODE_RULE.length)
        .max(PAIRING_CODE_RULE.length + 4),
    })
    .meta({ id: "ClaimPortalPairing" }),
  responses: {
    202: { description: "Waiting for the other device to confirm", schema: PortalPairingClaim },
    400: { description: "Malformed JSON", schema: ErrorBody },
    404: { description: "No such code, or it expired or was already entered", schema: ErrorBody },
    ...bodyErrorResponses,
    422: { description: "The request does not match its schema", schema: ErrorBody },
    ...rateLimitResponses,
  },
});

export const getPortalPairingClaim = defineOperation({
  method: "get",
  path: "/api/v1/portal/pairing-claims/current",
  operationId: "getPortalPairingClaim",
  summary:
    "This browser's pending claim (by its claim cookie); the answer that says approved also sets the recipient session cookie",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  responses: {
    200: { description: "The claim", schema: PortalPairingClaim },
    404: { description: "This browser has no claim", schema: ErrorBody },
    ...rateLimitResponses,
  },
});
