// `bundles add/rm/reorder/enable/disable/delete`: changing a bundle's files and state.
import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";
import { defineCommand, shape } from "./command.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { fileId } from "./files.js";
import { bundleId } from "./resolve.js";

const bundleRef = { name: "BUNDLE", required: true } as const;
const output = { description: "Bundle (after the change)", schema: shape((c) => c.schemas.Bundle) };
const objectsOf = (b: schemas.Bundle) => b.objects.map((o) => ({ fileId: o.fileId, path: o.path }));

export const add = defineCommand({
  path: ["bundles", "add"],
  summary: "Add files to a bundle (at the end; --path sets the path inside the archive of a single file)",
  usage: "latchflow bundles add BUNDLE FILE... [--path PATH]",
  examples: ['latchflow bundles add "Family archive" /family/will.pdf /family/deed.pdf'],
  access: `${Scope.BundlesWrite} on the bundle and ${Scope.FilesRead} on each file`,
  args: [bundleRef, { name: "FILE", required: true, variadic: true }],
  options: {
    path: { type: "string", value: "PATH", description: "path inside the archive (one FILE only)" },
  },
  output,
  async run(ctx) {
    const api = await ctx.api();
    const id = await bundleId(api, ctx.args[0]!);
    const files = ctx.args.slice(1);
    const b = await api.getBundle({ params: { id } });
    const added = [];
    for (const ref of files) {
      added.push({
        fileId: await fileId(api, ref),
        ...(ctx.options.path && files.length === 1 ? { path: ctx.options.path } : {}),
      });
    }
    const updated = await api.setBundleObjects({
      params: { id },
      body: { objects: [...objectsOf(b), ...added] },
    });
    ctx.out.result(updated, () =>
      ctx.out.line(
        `${updated.name}: ${updated.objects.length} file(s), archive version ${updated.archive.version}`,
      ),
    );
    return undefined;
  },
});

export const rm = defineCommand({
  path: ["bundles", "rm"],
  summary: "Remove files from a bundle (the files themselves stay)",
  usage:
    "latchflow bundles rm BUNDLE FILE...   (FILE: file id, /folder/name, or the path inside the archive)",
  examples: ['latchflow bundles rm "Family archive" will.pdf'],
  access: `${Scope.BundlesWrite} on the bundle`,
  args: [bundleRef, { name: "FILE", required: true, variadic: true }],
  output,
  async run(ctx) {
    const api = await ctx.api();
    const id = await bundleId(api, ctx.args[0]!);
    const b = await api.getBundle({ params: { id } });
    const drop = new Set<string>();
    for (const ref of ctx.args.slice(1)) {
      const inArchive = b.objects.find((o) => o.path === ref || o.entryName === ref || o.fileId === ref);
      drop.add(inArchive ? inArchive.fileId : await fileId(api, ref));
    }
    const updated = await api.setBundleObjects({
      params: { id },
      body: { objects: objectsOf(b).filter((o) => !drop.has(o.fileId)) },
    });
    ctx.out.result(updated, () => ctx.out.line(`${updated.name}: ${updated.objects.length} file(s) left`));
    return undefined;
  },
});

export const reorder = defineCommand({
  path: ["bundles", "reorder"],
  summary: "Put files first, in the order given; the others keep their order after them",
  usage: "latchflow bundles reorder BUNDLE FILE...   (FILE: file id or the path inside the archive)",
  examples: ['latchflow bundles reorder "Family archive" letter.txt will.pdf'],
  access: `${Scope.BundlesWrite} on the bundle`,
  args: [bundleRef, { name: "FILE", required: true, variadic: true }],
  output,
  async run(ctx) {
    const api = await ctx.api();
    const id = await bundleId(api, ctx.args[0]!);
    const b = await api.getBundle({ params: { id } });
    const objects = objectsOf(b);
    const first = ctx.args.slice(1).map((ref) => {
      const o = b.objects.find((x) => x.path === ref || x.entryName === ref || x.fileId === ref);
      if (!o) {
        throw new CliError(
          `"${ref}" is not in ${b.name}`,
          ExitCode.NotFound,
          `\`latchflow bundles show ${b.id}\` lists its files`,
          "not_found",
        );
      }
      return objects[b.objects.indexOf(o)]!;
    });
    const rest = objects.filter((o) => !first.includes(o));
    const updated = await api.setBundleObjects({ params: { id }, body: { objects: [...first, ...rest] } });
    ctx.out.result(updated, () => {
      for (const [i, o] of updated.objects.entries()) ctx.out.line(`${i + 1}. ${o.path}`);
    });
    return undefined;
  },
});

const toggle = (enabled: boolean) =>
  defineCommand({
    path: ["bundles", enabled ? "enable" : "disable"],
    summary: enabled
      ? "Enable a bundle (downloads allowed again)"
      : "Disable a bundle: every download is refused",
    usage: `latchflow bundles ${enabled ? "enable" : "disable"} BUNDLE`,
    examples: [`latchflow bundles ${enabled ? "enable" : "disable"} "Family archive"`],
    access: `${Scope.BundlesWrite} on the bundle`,
    args: [bundleRef],
    output,
    async run(ctx) {
      const api = await ctx.api();
      const b = await api.updateBundle({
        params: { id: await bundleId(api, ctx.args[0]!) },
        body: { enabled },
      });
      ctx.out.result(b, () => ctx.out.line(`${b.name} is ${b.enabled ? "enabled" : "disabled"}`));
      return undefined;
    },
  });

export const remove = defineCommand({
  path: ["bundles", "delete"],
  summary: "Delete a bundle (refused while it is assigned or published, unless --force)",
  usage: "latchflow bundles delete BUNDLE [--force]",
  examples: ['latchflow bundles delete "Old drafts"'],
  access: `${Scope.BundlesWrite} on the bundle`,
  args: [bundleRef],
  options: { force: { type: "boolean", description: "delete even when assigned or published" } },
  output: { description: "Bundle (as it was)", schema: shape((c) => c.schemas.Bundle) },
  async run(ctx) {
    const api = await ctx.api();
    const b = await api.deleteBundle({
      params: { id: await bundleId(api, ctx.args[0]!) },
      query: ctx.options.force ? { force: "true" } : {},
    });
    ctx.out.result(b, () => ctx.out.line(`Deleted bundle ${b.name} (${b.id})`));
    return undefined;
  },
});

export const contentCommands = [add, rm, reorder, toggle(true), toggle(false), remove];
