import { z } from "zod";
import { ErrorBody } from "../common.js";
import { defineOperation } from "../operation.js";
import { DownloadRefusal } from "../reasons.js";

/** The capability in a `/dl/{token}` or `/s/{token}` URL. */
export const DownloadTokenParams = z.strictObject({
  token: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, "not a download token"),
});
export type DownloadTokenParams = z.output<typeof DownloadTokenParams>;

const tag = "downloads";
const description =
  "Answers Range/If-Range with 206 so an interrupted download resumes; HEAD answers the headers only. Only " +
  "authenticated plaintext is ever sent: a failure mid-stream breaks the transfer (ADR 015).";
const archive = {
  200: { description: "The whole archive", media: "application/zip" },
  206: { description: "The requested byte range (Content-Range)", media: "application/zip" },
  404: {
    description: `Unknown or expired (details.reason ${DownloadRefusal.LinkInvalid})`,
    schema: ErrorBody,
  },
  416: {
    description: "Range not satisfiable (Content-Range: bytes */size)",
    schema: ErrorBody,
  },
  422: { description: "Not a download token", schema: ErrorBody },
} as const;

export const downloadGrant = defineOperation({
  method: "get",
  path: "/dl/:token",
  operationId: "downloadGrant",
  summary: "Download a granted archive (resumable within the grant's lifetime)",
  description: `${description} A grant is one logical download for the portal session that obtained it.`,
  tag,
  access: { kind: "public" },
  params: DownloadTokenParams,
  responses: {
    ...archive,
    401: { description: "No valid recipient session (sign in to the portal)", schema: ErrorBody },
    403: {
      description: `Refused: details.reason is ${[
        DownloadRefusal.GrantExhausted,
        DownloadRefusal.OtherSession,
        DownloadRefusal.Disabled,
        DownloadRefusal.AssignmentDeleted,
        DownloadRefusal.Closed,
        DownloadRefusal.NotYetOpen,
        DownloadRefusal.BundleDisabled,
      ].join(", ")}`,
      schema: ErrorBody,
    },
  },
});

export const downloadPublishLink = defineOperation({
  method: "get",
  path: "/s/:token",
  operationId: "downloadPublishLink",
  summary: "Download a published bundle (each full download uses one use)",
  description: `${description} Every response that starts at byte 0 counts a use.`,
  tag,
  access: { kind: "public" },
  params: DownloadTokenParams,
  responses: {
    ...archive,
    403: {
      description: `Refused: details.reason is ${DownloadRefusal.LinkUsedUp} or ${DownloadRefusal.BundleDisabled}`,
      schema: ErrorBody,
    },
  },
});
