import { type ErrorBody, ErrorCode, operations } from "@latchflow/api";
import type { RequestContext } from "@latchflow/runtime";
import type { Context } from "koa";
import { authenticate } from "../authenticate.js";
import type { GatewayClients } from "../clients.js";
import { COOKIES, readCookie } from "../cookies.js";
import { countDeniedDownload, countDownload, openingDownload } from "../download-metrics.js";
import { implement } from "../route.js";
import { settleUnsent, streamPieces } from "../streaming.js";
import { contentDisposition } from "./files.js";

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
  const route = (op: typeof operations.downloadGrant | typeof operations.downloadPublishLink) => {
    const kind = op === operations.downloadGrant ? "grant" : "link";
    return implement(op, async ({ params, ctx, koa }) => {
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
        const body: ErrorBody = {
          error: {
            code: ErrorCode.RangeNotSatisfiable,
            message: "Range not satisfiable",
            requestId: ctx.requestId,
          },
        };
        return { status: 416, body };
      }
      koa.set("Content-Disposition", contentDisposition(res.filename));
      koa.type = "application/zip";
      if (res.status === 206) koa.set("Content-Range", `bytes ${res.start}-${res.end}/${res.totalSize}`);
      const length = res.totalSize === 0 ? 0 : res.end - res.start + 1;
      koa.length = length;
      if (head) return { status: res.status };
      const giveBack = (bytes: number) => {
        // a failed give-back leaves the bytes counted: the budget errs on the side of refusing
        clients.bundles.releaseArchiveBytes({ kind, token: params.token, bytes }, ctx).catch(() => undefined);
      };
      const body = settleUnsent(streamPieces(clients.storage, res.pieces, ctx), length, giveBack);
      return { status: res.status, stream: countDownload(kind, res.status, body) };
    });
  };
  return [route(operations.downloadGrant), route(operations.downloadPublishLink)];
}
