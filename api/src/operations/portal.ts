import { z } from "zod";
import { bodyErrorResponses, ErrorBody, IdParams, PageQuery, page } from "../common.js";
import { defineOperation } from "../operation.js";
import { DownloadRefusal, PassphraseReason } from "../reasons.js";
import { PASSPHRASE_RULE } from "../rules.js";
import { Assignment } from "./assignments.js";

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

/** One entry of the recipient's download history. */
export const PortalDownload = z
  .object({
    id: z.string(),
    bundleId: z.string(),
    bundleName: z.string(),
    version: z.number().meta({ description: "the bundle's archive version that was granted" }),
    grantedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    newDevice: z.boolean(),
    thisDevice: z.boolean().meta({ description: "granted to the browser asking" }),
    ip: z.string(),
    userAgent: z.string(),
  })
  .meta({ id: "PortalDownload" });
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
