import type { RequestContext } from "@latchflow/runtime";
import type { Context } from "koa";
import { z } from "zod";
import { authenticate } from "../authenticate.js";
import type { GatewayClients } from "../clients.js";
import { COOKIES, readCookie } from "../cookies.js";
import { countDeniedDownload, countDownload, openingDownload } from "../download-metrics.js";
import { defineRoute } from "../route.js";
import { ErrorResponse } from "../schemas.js";
import { settleUnsent, streamPieces } from "../streaming.js";
import { contentDisposition } from "./files.js";

const Token = z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, "not a download token") });

/**
 * The recipient session presenting a grant, when the request carries one (the browser sends the portal's
 * SameSite=Lax session cookie with a same-site GET). An invalid session, or a disabled recipient, is 401.
 */
async function presenter(koa: Context, clients: GatewayClients): Promise<RequestContext | undefined> {
  if (!readCookie(koa, COOKIES.recipient.session)) return undefined;
  return (await authenticate(koa, clients, { kind: "recipient" })).ctx;
}

/**
 * The archive downloads: `/dl/{token}` (a recipient's grant) and `/s/{token}` (a publish link). Both answer
 * Range/If-Range with 206 so an interrupted download resumes; only authenticated plaintext is ever sent.
 * A grant is one logical download for the session that obtained it; a link counts a use for every
 * response that starts at byte 0 (ADR 015). Bytes reserved but never sent are given back.
 */
export function archiveRoutes(clients: GatewayClients) {
  const route = (path: string, kind: "grant" | "link", summary: string) =>
    defineRoute({
      method: "get",
      path,
      operationId: kind === "grant" ? "downloadGrant" : "downloadPublishLink",
      summary,
      tag: "downloads",
      access: { kind: "public" },
      params: Token,
      responses: {
        200: { description: "The whole archive (application/zip)" },
        206: { description: "The requested byte range" },
        401: {
          description: "Grants only: no valid recipient session (sign in to the portal)",
          schema: ErrorResponse,
        },
        403: {
          description:
            kind === "grant"
              ? "Refused: details.reason is grant_exhausted, grant_other_session, assignment_disabled, assignment_deleted, window_closed, window_not_open or bundle_disabled"
              : "Refused: details.reason is link_used_up or bundle_disabled",
          schema: ErrorResponse,
        },
        404: { description: "Unknown or expired", schema: ErrorResponse },
        416: { description: "Range not satisfiable" },
      },
      handler: async ({ params, ctx, koa }) => {
        const head = koa.method === "HEAD";
        const res = await openingDownload(kind, async () => {
          const signedIn = kind === "grant" ? await presenter(koa, clients) : undefined;
          return clients.bundles.openArchive(
            {
              kind,
              token: params.token,
              range: koa.get("range"),
              ifRange: koa.get("if-range"),
              recipientId: signedIn?.caller?.id ?? "",
              sessionId: signedIn?.caller?.sessionId ?? "",
              head,
            },
            signedIn ?? ctx,
          );
        });
        koa.set("Accept-Ranges", "bytes");
        koa.set("ETag", res.etag);
        if (res.status === 416) {
          countDeniedDownload(kind);
          koa.set("Content-Range", `bytes */${res.totalSize}`);
          return {
            status: 416,
            body: {
              error: {
                code: "range_not_satisfiable",
                message: "Range not satisfiable",
                requestId: ctx.requestId,
              },
            },
          };
        }
        koa.set("Content-Disposition", contentDisposition(res.filename));
        koa.type = "application/zip";
        if (res.status === 206) koa.set("Content-Range", `bytes ${res.start}-${res.end}/${res.totalSize}`);
        const length = res.totalSize === 0 ? 0 : res.end - res.start + 1;
        koa.length = length;
        if (head) return { status: res.status };
        const giveBack = (bytes: number) => {
          // a failed give-back leaves the bytes counted: the budget errs on the side of refusing
          clients.bundles
            .releaseArchiveBytes({ kind, token: params.token, bytes }, ctx)
            .catch(() => undefined);
        };
        const body = settleUnsent(streamPieces(clients.storage, res.pieces, ctx), length, giveBack);
        return { status: res.status, stream: countDownload(kind, res.status, body) };
      },
    });
  return [
    route("/dl/:token", "grant", "Download a granted archive (resumable within the grant's lifetime)"),
    route("/s/:token", "link", "Download a published bundle (each full download uses one use)"),
  ];
}
