// `latchflow bundles …`: bundles over REST (operations in @latchflow/api's bundles area).
import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";
import { contentCommands } from "./bundle-contents.js";
import { exportBundle } from "./bundle-export.js";
import { share } from "./bundle-share.js";
import { defineCommand, shape } from "./command.js";
import { formatBytes, type Output } from "./output.js";
import { bundleId, pageOrAll } from "./resolve.js";

const bundleRef = { name: "BUNDLE", required: true } as const;

function showBundle(out: Output, b: schemas.Bundle): void {
  out.fields([
    ["id", b.id],
    ["name", b.name],
    ["description", b.description || "-"],
    ["enabled", b.enabled ? "yes" : "no"],
    [
      "archive",
      `${b.archive.status}, version ${b.archive.version}, ${b.archive.files} files, ${formatBytes(b.archive.size)}`,
    ],
    ["created", b.createdAt],
    ["updated", b.updatedAt],
  ]);
  if (b.objects.length > 0) {
    out.line();
    out.table(b.objects, [
      { header: "#", value: (o) => b.objects.indexOf(o) + 1, right: true },
      { header: "PATH IN ARCHIVE", value: (o) => o.path },
      { header: "FILE", value: (o) => o.fileId },
      { header: "SIZE", value: (o) => formatBytes(o.size), right: true },
    ]);
  }
}

export const list = defineCommand({
  path: ["bundles", "list"],
  summary: "List bundles, newest first",
  usage: "latchflow bundles list [--limit N] [--all]",
  examples: ["latchflow bundles list", "latchflow bundles list --all --json | jq -r '.items[].name'"],
  access: `${Scope.BundlesRead} (only the bundles you were granted when you hold per-bundle grants)`,
  options: {
    limit: { type: "string", value: "N", description: "at most N bundles (1–200, default 50)" },
    all: { type: "boolean", description: "every bundle, following pages" },
    cursor: { type: "string", value: "CURSOR", description: "continue from a previous page's nextCursor" },
  },
  output: {
    description: "{ items: Bundle[], nextCursor: string | null } — Bundle as in GET /api/v1/bundles/{id}",
    schema: shape((c) => c.page(c.schemas.Bundle)),
  },
  async run(ctx) {
    const api = await ctx.api();
    const result = await pageOrAll(ctx.options, (query) => api.listBundles({ query }));
    ctx.out.result(result, () => {
      ctx.out.table(result.items, [
        { header: "ID", value: (b) => b.id },
        { header: "NAME", value: (b) => b.name },
        { header: "ENABLED", value: (b) => (b.enabled ? "yes" : "no") },
        { header: "FILES", value: (b) => b.objects.length, right: true },
        { header: "SIZE", value: (b) => formatBytes(b.archive.size), right: true },
        { header: "UPDATED", value: (b) => b.updatedAt },
      ]);
      if (result.nextCursor)
        ctx.out.note(`more: latchflow bundles list --cursor ${result.nextCursor} (or --all)`);
    });
    return undefined;
  },
});

export const show = defineCommand({
  path: ["bundles", "show"],
  summary: "Show a bundle: its settings, its archive and its files in order",
  usage: "latchflow bundles show BUNDLE",
  examples: ['latchflow bundles show "Family archive"', "latchflow bundles show 01K… --json"],
  access: `${Scope.BundlesRead} on the bundle`,
  args: [bundleRef],
  output: { description: "Bundle", schema: shape((c) => c.schemas.Bundle) },
  async run(ctx) {
    const api = await ctx.api();
    const b = await api.getBundle({ params: { id: await bundleId(api, ctx.args[0]!) } });
    ctx.out.result(b, () => showBundle(ctx.out, b));
    return undefined;
  },
});

export const create = defineCommand({
  path: ["bundles", "create"],
  summary: "Create an empty bundle",
  usage: "latchflow bundles create NAME [--description TEXT]",
  examples: ['latchflow bundles create "Family archive" --description "for later"'],
  access: Scope.BundlesWrite,
  args: [{ name: "NAME", required: true }],
  options: { description: { type: "string", value: "TEXT", description: "what the bundle is for" } },
  output: { description: "Bundle (the new one)", schema: shape((c) => c.schemas.Bundle) },
  async run(ctx) {
    const api = await ctx.api();
    const b = await api.createBundle({
      body: {
        name: ctx.args[0]!,
        ...(ctx.options.description ? { description: ctx.options.description } : {}),
      },
    });
    ctx.out.result(b, () => ctx.out.line(`Created bundle ${ctx.out.style("bold", b.name)} (${b.id})`));
    return undefined;
  },
});

export const commands = [create, list, show, ...contentCommands, share, exportBundle];
