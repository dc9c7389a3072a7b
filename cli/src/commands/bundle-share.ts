import { Scope } from "@latchflow/api/scopes";
import type { z } from "zod";
import { type Contract, defineCommand, shape } from "./command.js";
import { usageError } from "./exit-codes.js";
import { messageFields, messageOptions } from "./message-options.js";
import { bundleId, parseCount, parseDuration, recipientId } from "./resolve.js";

const ShareResult = (c: Contract) =>
  c.z.object({
    assignments: c.z.array(c.schemas.Assignment),
    link: c.schemas.CreatedPublishLink.nullable(),
  });

export const share = defineCommand({
  path: ["bundles", "share"],
  summary: "Assign a bundle to recipients with limits, or publish it at a link (--link) and print the URL",
  usage:
    "latchflow bundles share BUNDLE --to EMAIL... [--max-downloads N] [--cooldown 1h] [--not-before T] [--not-after T] [--passphrase P]\n" +
    "       [--message TEXT | --message-file FILE] [--require-ack]\n" +
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
    ...messageOptions,
  },
  output: {
    description: "{ assignments: Assignment[], link: { url, link: PublishLink } | null }",
    schema: shape(ShareResult),
  },
  async run(ctx) {
    const o = ctx.options;
    const to = o.to ?? [];
    if (o.link === to.length > 0)
      throw usageError("give either --to EMAIL (one or more) or --link", ctx.commandLine);
    const api = await ctx.api();
    const id = await bundleId(api, ctx.args[0]!);
    const result: z.output<ReturnType<typeof ShareResult>> = { assignments: [], link: null };
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
        ...(await messageFields(o, ctx.commandLine)),
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
