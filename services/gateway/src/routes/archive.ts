import { type ErrorBody, ErrorCode, operations } from "@latchflow/api";
import type { bundlesV1 } from "@latchflow/proto";
import type { RequestContext } from "@latchflow/runtime";
import type { Context } from "koa";
import { authenticate } from "../authenticate.js";
import type { GatewayClients } from "../clients.js";
import { COOKIES, readCookie } from "../cookies.js";
import {
  countDeniedDownload,
  countDownload,
  type DownloadKind,
  openingDownload,
} from "../download-metrics.js";
import { authorizeRelease } from "../policy.js";
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
 * Sets the headers of an archive answer (ETag, Accept-Ranges, Content-Range, Content-Disposition, type and
 * length) and answers 416 itself; the caller streams `res.pieces` for 200/206 unless it is a HEAD.
 */
function archiveAnswer(
  koa: Context,
  ctx: RequestContext,
  kind: DownloadKind,
  res: bundlesV1.ArchiveRange,
): { status: 416; body: ErrorBody } | { status: 200 | 206; length: number } {
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
  return { status: res.status === 206 ? 206 : 200, length };
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
      const answer = archiveAnswer(koa, ctx, kind, res);
      if (answer.status === 416) return answer;
      if (head) return { status: answer.status };
      const length = answer.length;
      const giveBack = (bytes: number) => {
        // a failed give-back leaves the bytes counted: the budget errs on the side of refusing
        clients.bundles.releaseArchiveBytes({ kind, token: params.token, bytes }, ctx).catch(() => undefined);
      };
      if (kind === "grant" && res.totalSize > 0 && res.end === res.totalSize - 1) {
        // "finish": the whole body, the archive's last byte included, was handed to the socket (an aborted
        // transfer closes without it); the download is then completed (history shows it so)
        koa.res.once("finish", () => {
          clients.bundles.completeArchiveDownload({ token: params.token }, ctx).catch(() => undefined);
        });
      }
      const body = settleUnsent(streamPieces(clients, res.pieces, ctx), length, giveBack);
      return { status: res.status, stream: countDownload(kind, res.status, body) };
    });
  };
  /**
   * A user's export of a bundle: read on the bundle (the route's access) and on each of its files, as for
   * releasing it; the same archive and Range answers as above, but no budget: nothing is counted against a
   * recipient, and every answer that sends bytes is audited by the bundles service.
   */
  const exportArchive = implement(operations.exportBundleArchive, async ({ params, ctx, identity, koa }) => {
    const head = koa.method === "HEAD";
    const res = await openingDownload("export", async () => {
      const bundle = await clients.bundles.getBundle({ id: params.id }, ctx);
      authorizeRelease(identity, bundle);
      return clients.bundles.openBundleExport(
        {
          bundleId: bundle.id,
          authorizedFileIds: bundle.objects.map((o) => o.fileId),
          range: koa.get("range"),
          ifRange: koa.get("if-range"),
          head,
        },
        ctx,
      );
    });
    const answer = archiveAnswer(koa, ctx, "export", res);
    if (answer.status === 416) return answer;
    if (head) return { status: answer.status };
    const body = streamPieces(clients, res.pieces, ctx);
    return { status: answer.status, stream: countDownload("export", answer.status, body) };
  });
  return [route(operations.downloadGrant), route(operations.downloadPublishLink), exportArchive];
}
