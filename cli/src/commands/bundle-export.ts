// `bundles export`: a bundle's archive through GET /api/v1/bundles/{id}/archive (exportBundleArchive), resumed
// with Range/If-Range from a partial `FILE.part` left by an interrupted run.
import { createWriteStream } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ApiError } from "@latchflow/api/client";
import { Scope } from "@latchflow/api/scopes";
import { type ApiClient, defineCommand, shape } from "./command.js";
import type { LiteResponse } from "./http-fetch.js";
import { formatBytes } from "./output.js";
import { bundleId } from "./resolve.js";

/** Bytes already in `part` and the ETag of the archive they came from, when both are there. */
async function partial(part: string): Promise<{ bytes: number; etag: string } | undefined> {
  const bytes = await stat(part).then(
    (s) => s.size,
    () => 0,
  );
  const etag = await readFile(`${part}.etag`, "utf8").catch(() => "");
  return bytes > 0 && etag ? { bytes, etag: etag.trim() } : undefined;
}

/** Asks for the archive, or for what follows `from` while it is still the same archive (If-Range). */
async function request(
  api: ApiClient,
  id: string,
  from: { bytes: number; etag: string } | undefined,
  signal: AbortSignal,
) {
  const headers = from ? { range: `bytes=${from.bytes}-`, "if-range": from.etag } : undefined;
  return await api.exportBundleArchive({ params: { id }, signal, ...(headers ? { headers } : {}) });
}

export const exportBundle = defineCommand({
  path: ["bundles", "export"],
  summary: "Download a bundle's archive (zip); an interrupted export resumes where it stopped",
  usage: "latchflow bundles export BUNDLE [-o FILE.zip]",
  examples: ['latchflow bundles export "Family archive" -o family.zip'],
  access:
    `${Scope.BundlesRead} on the bundle and ${Scope.FilesRead} on each of its files; every export is ` +
    "audited (bundles.bundle.exported) and uses no recipient's downloads",
  args: [{ name: "BUNDLE", required: true }],
  options: {
    output: { type: "string", short: "o", value: "FILE", description: "where to write (default NAME.zip)" },
  },
  output: {
    description: "{ path, bytes, resumedFrom, etag, bundleId }",
    schema: shape((c) =>
      c.z.object({
        path: c.z.string(),
        bytes: c.z.number(),
        resumedFrom: c.z.number(),
        etag: c.z.string(),
        bundleId: c.z.string(),
      }),
    ),
  },
  async run(ctx) {
    const api = await ctx.api();
    const id = await bundleId(api, ctx.args[0]!);
    const path =
      ctx.options.output ?? `${(await api.getBundle({ params: { id } })).name.replace(/[^\w.-]+/g, "_")}.zip`;
    const part = `${path}.part`;
    let from = await partial(part);
    let res: LiteResponse;
    try {
      res = await request(api, id, from, ctx.signal);
    } catch (err) {
      // 416: the part is not a prefix of the archive it names (e.g. already whole): start again
      if (!from || !(err instanceof ApiError) || err.status !== 416) throw err;
      from = undefined;
      res = await request(api, id, from, ctx.signal);
    }
    const resumedFrom = res.status === 206 && from ? from.bytes : 0;
    const etag = res.headers.get("etag") ?? "";
    await writeFile(`${part}.etag`, etag);
    const progress = ctx.out.progress(Number(res.headers.get("content-length") ?? 0));
    let bytes = resumedFrom;
    const count = new Transform({
      transform(chunk: Buffer, _e, done) {
        bytes += chunk.length;
        progress.advance(chunk.length);
        done(null, chunk);
      },
    });
    // a 200 (a new export, or the archive changed since the part was written) starts the part over
    await pipeline(res.stream, count, createWriteStream(part, { flags: resumedFrom ? "a" : "w" }));
    progress.done();
    await rename(part, path);
    await rm(`${part}.etag`, { force: true });
    ctx.out.result({ path, bytes, resumedFrom, etag, bundleId: id }, () =>
      ctx.out.line(
        `Wrote ${path} (${formatBytes(bytes)}${resumedFrom ? `, resumed after ${formatBytes(resumedFrom)}` : ""})`,
      ),
    );
    return undefined;
  },
});
