// `bundles share` (assign to recipients with limits, or publish a link) and `bundles export`.
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Scope, schemas } from "@latchflow/api";
import { z } from "zod";
import { defineCommand } from "./command.js";
import { CliError, ExitCode, usageError } from "./exit-codes.js";
import type { LiteResponse } from "./http-fetch.js";
import { formatBytes } from "./output.js";
import { bundleId, parseCount, parseDuration, recipientId } from "./resolve.js";

const ShareResult = z.object({
  assignments: z.array(schemas.Assignment),
  link: schemas.CreatedPublishLink.nullable(),
});

export const share = defineCommand({
  path: ["bundles", "share"],
  summary: "Assign a bundle to recipients with limits, or publish it at a link (--link) and print the URL",
  usage:
    "latchflow bundles share BUNDLE --to EMAIL... [--max-downloads N] [--cooldown 1h] [--not-before T] [--not-after T] [--passphrase P]\n" +
    "       latchflow bundles share BUNDLE --link [--expires 7d] [--max-uses N]",
  examples: [
    'latchflow bundles share "Family archive" --to alice@example.com --max-downloads 3 --cooldown 1d',
    'latchflow bundles share "Family archive" --link --expires 2d --max-uses 1',
  ],
  access: `${Scope.BundlesWrite} on the bundle and ${Scope.FilesRead} on each of its files`,
  args: [{ name: "BUNDLE", required: true }],
  options: {
    to: {
      type: "string",
      multiple: true,
      value: "EMAIL",
      description: "a recipient (email or id); repeat for more",
    },
    "max-downloads": {
      type: "string",
      value: "N",
      description: "downloads allowed per recipient (0 = unlimited)",
    },
    cooldown: { type: "string", value: "DURATION", description: "wait between downloads, e.g. 1h" },
    "not-before": {
      type: "string",
      value: "TIME",
      description: "ISO time before which downloads are refused",
    },
    "not-after": { type: "string", value: "TIME", description: "ISO time after which downloads are refused" },
    passphrase: { type: "string", value: "P", description: "a passphrase the recipient must give" },
    link: { type: "boolean", description: "publish a link instead (anyone holding the URL may download)" },
    expires: {
      type: "string",
      value: "DURATION",
      description: "with --link: how long it works (default 7d)",
    },
    "max-uses": { type: "string", value: "N", description: "with --link: downloads allowed (0 = unlimited)" },
  },
  output: {
    description: "{ assignments: Assignment[], link: { url, link: PublishLink } | null }",
    schema: ShareResult,
  },
  async run(ctx) {
    const o = ctx.options;
    const to = o.to ?? [];
    if (o.link === to.length > 0)
      throw usageError("give either --to EMAIL (one or more) or --link", ctx.commandLine);
    const api = await ctx.api();
    const id = await bundleId(api, ctx.args[0]!);
    const result: z.output<typeof ShareResult> = { assignments: [], link: null };
    if (o.link) {
      const maxUses = parseCount(o["max-uses"], "--max-uses", ctx.commandLine);
      result.link = await api.createPublishLink({
        params: { id },
        body: {
          expiresInSeconds: parseDuration(o.expires ?? "7d", "--expires", ctx.commandLine),
          ...(maxUses !== undefined ? { maxUses } : {}),
        },
      });
    } else {
      const maxDownloads = parseCount(o["max-downloads"], "--max-downloads", ctx.commandLine);
      const limits = {
        ...(maxDownloads !== undefined ? { maxDownloads } : {}),
        ...(o.cooldown ? { cooldownSeconds: parseDuration(o.cooldown, "--cooldown", ctx.commandLine) } : {}),
        ...(o["not-before"] ? { notBefore: o["not-before"] } : {}),
        ...(o["not-after"] ? { notAfter: o["not-after"] } : {}),
        ...(o.passphrase ? { passphrase: o.passphrase } : {}),
      };
      for (const ref of to) {
        const recipient = await recipientId(api, ref);
        result.assignments.push(
          await api.createAssignment({ params: { id }, body: { recipientId: recipient, ...limits } }),
        );
      }
    }
    ctx.out.result(result, () => {
      if (result.link) {
        ctx.out.line(result.link.url);
        ctx.out.note(`Link expires ${result.link.link.expiresAt}; the URL is shown only now.`);
      }
      for (const a of result.assignments) {
        ctx.out.line(
          `Assigned to ${a.recipientId}: ${a.maxDownloads || "unlimited"} download(s)${a.passphraseRequired ? ", passphrase" : ""} (${a.id})`,
        );
      }
    });
    return undefined;
  },
});

export const exportBundle = defineCommand({
  path: ["bundles", "export"],
  summary: "Download a bundle's archive (zip) as its owner",
  usage: "latchflow bundles export BUNDLE [-o FILE.zip]",
  examples: ['latchflow bundles export "Family archive" -o family.zip'],
  access:
    `${Scope.BundlesWrite} on the bundle and ${Scope.FilesRead} on its files: the archive comes through a ` +
    "publish link made for this one download (5 minutes, 1 use) and revoked after it, so it is audited",
  args: [{ name: "BUNDLE", required: true }],
  options: {
    output: { type: "string", short: "o", value: "FILE", description: "where to write (default NAME.zip)" },
  },
  output: {
    description: "{ path: string, bytes: number, bundleId: string }",
    schema: z.object({ path: z.string(), bytes: z.number(), bundleId: z.string() }),
  },
  async run(ctx) {
    const api = await ctx.api();
    const id = await bundleId(api, ctx.args[0]!);
    const bundle = await api.getBundle({ params: { id } });
    if (bundle.objects.length === 0) {
      throw new CliError(
        `${bundle.name} has no files`,
        ExitCode.Conflict,
        `add some: \`latchflow bundles add ${bundle.id} FILE...\``,
        "conflict",
      );
    }
    const path = ctx.options.output ?? `${bundle.name.replace(/[^\w.-]+/g, "_")}.zip`;
    const created = await api.createPublishLink({
      params: { id },
      body: { expiresInSeconds: 300, maxUses: 1 },
    });
    let bytes = 0;
    try {
      const token = new URL(created.url).pathname.split("/").pop()!;
      const res = (await api.downloadPublishLink({
        params: { token },
        signal: ctx.signal,
      })) as unknown as LiteResponse;
      const progress = ctx.out.progress(Number(res.headers.get("content-length") ?? bundle.archive.size));
      const count = new Transform({
        transform(chunk: Buffer, _e, done) {
          bytes += chunk.length;
          progress.advance(chunk.length);
          done(null, chunk);
        },
      });
      const tmp = `${path}.part`;
      try {
        await pipeline(res.stream, count, createWriteStream(tmp));
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      progress.done();
    } finally {
      await api.revokePublishLink({ params: { id: created.link.id } }).catch(() => undefined);
    }
    ctx.out.result({ path, bytes, bundleId: id }, () =>
      ctx.out.line(`Wrote ${path} (${formatBytes(bytes)})`),
    );
    return undefined;
  },
});
