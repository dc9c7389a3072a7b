import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { countDeniedDownload, countDownload, openingDownload } from "../download-metrics.js";
import { defineRoute } from "../route.js";
import { streamPieces } from "../streaming.js";
import { contentDisposition } from "./files.js";

const Token = z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, "not a download token") });

/**
 * The archive downloads: `/dl/{token}` (a recipient's grant) and `/s/{token}` (a publish link). Both answer
 * Range/If-Range with 206 so an interrupted download resumes; only authenticated plaintext is ever sent.
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
        404: { description: "Unknown or expired" },
        416: { description: "Range not satisfiable" },
      },
      handler: async ({ params, ctx, koa }) => {
        const res = await openingDownload(kind, () =>
          clients.bundles.openArchive(
            { kind, token: params.token, range: koa.get("range"), ifRange: koa.get("if-range") },
            ctx,
          ),
        );
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
        koa.length = res.totalSize === 0 ? 0 : res.end - res.start + 1;
        const stream = countDownload(kind, res.status, streamPieces(clients.storage, res.pieces, ctx));
        return { status: res.status, stream };
      },
    });
  return [
    route("/dl/:token", "grant", "Download a granted archive (resumable within the grant's lifetime)"),
    route("/s/:token", "link", "Download a published bundle (each full download uses one use)"),
  ];
}
