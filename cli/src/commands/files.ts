// `latchflow files …`: stored files over REST (operations in @latchflow/api's files area).

import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";
import type { z } from "zod";
import { type ApiClient, type Contract, defineCommand, shape } from "./command.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { formatBytes, formatDuration, type Output } from "./output.js";
import { isId, listAll, pageOrAll } from "./resolve.js";
import { alreadyUploaded, existingByFolder, planUpload, uploadWithRetries } from "./upload.js";

const fileRef = { name: "FILE", required: true } as const;
const FILE_REF_HELP = "FILE is a file id, or /folder/name when that names exactly one file";

/** A file by id, or by /folder/name when exactly one file has it. */
export async function fileId(api: ApiClient, ref: string): Promise<string> {
  if (isId(ref)) return ref;
  const slash = ref.lastIndexOf("/");
  const folder = slash <= 0 ? "/" : ref.slice(0, slash);
  const name = ref.slice(slash + 1);
  const files = (
    await listAll((cursor) =>
      api.listFiles({ query: { folder, q: name, limit: 200, ...(cursor ? { cursor } : {}) } }),
    )
  ).filter((f) => f.name === name);
  if (files.length === 1) return files[0]!.id;
  if (files.length === 0) {
    throw new CliError(
      `no file ${folder === "/" ? "/" : `${folder}/`}${name}`,
      ExitCode.NotFound,
      `list them with \`latchflow files list --folder ${folder}\``,
      "not_found",
    );
  }
  throw new CliError(
    `${files.length} files are named ${ref}`,
    ExitCode.Usage,
    "name it by id: `latchflow files list` shows ids",
    "usage",
  );
}

function fileRows(out: Output, files: readonly schemas.FileObject[]): void {
  out.table(files, [
    { header: "ID", value: (f) => f.id },
    { header: "FOLDER", value: (f) => f.folder },
    { header: "NAME", value: (f) => f.name },
    { header: "SIZE", value: (f) => formatBytes(f.size), right: true },
    { header: "BUNDLES", value: (f) => f.bundleIds.length, right: true },
    { header: "CREATED", value: (f) => f.createdAt },
  ]);
}

const UploadResult = (c: Contract) =>
  c.z.object({
    uploaded: c.z.array(c.schemas.FileObject),
    skipped: c.z.array(c.z.object({ path: c.z.string(), file: c.schemas.FileObject })),
  });

export const upload = defineCommand({
  path: ["files", "upload"],
  summary: "Upload files and folders (a folder keeps its tree); an interrupted upload resumes when run again",
  usage: "latchflow files upload PATH... [--folder /dest]",
  examples: ["latchflow files upload ./letters --folder /family", "latchflow files upload will.pdf deed.pdf"],
  access: Scope.FilesWrite,
  args: [{ name: "PATH", required: true, variadic: true, complete: "file" }],
  options: {
    folder: { type: "string", value: "FOLDER", description: "the server folder to upload into (default /)" },
  },
  output: {
    description:
      "{ uploaded: File[], skipped: { path, file: File }[] } — skipped: already on the server (same folder, name, size, sha256)",
    schema: shape(UploadResult),
  },
  async run(ctx) {
    const api = await ctx.api();
    const plan = await planUpload(ctx.args, ctx.options.folder ?? "/");
    const existing = await existingByFolder(
      api,
      plan.map((f) => f.folder),
    );
    const total = plan.reduce((n, f) => n + f.size, 0);
    const progress = ctx.out.progress(total);
    const result: z.output<ReturnType<typeof UploadResult>> = { uploaded: [], skipped: [] };
    const started = Date.now();
    for (const file of plan) {
      progress.label(file.name);
      const done = await alreadyUploaded(file, existing);
      if (done) {
        result.skipped.push({ path: file.path, file: done });
        progress.advance(file.size);
        continue;
      }
      try {
        result.uploaded.push(
          await uploadWithRetries(api, file, progress, ctx.signal, (text) => ctx.out.note(text)),
        );
      } catch (err) {
        if ((err as Error).name !== "AbortError") throw err;
        progress.done();
        throw new CliError(
          `interrupted during ${file.path}: ${result.uploaded.length + result.skipped.length} of ${plan.length} file(s) are on the server`,
          ExitCode.Error,
          "run the same command again: the files already uploaded are skipped",
          "interrupted",
        );
      }
    }
    progress.done();
    const sent = result.uploaded.reduce((n, f) => n + f.size, 0);
    const seconds = (Date.now() - started) / 1000;
    ctx.out.result(result, () => {
      fileRows(ctx.out, result.uploaded);
      ctx.out.note(
        `Uploaded ${result.uploaded.length} file(s), ${formatBytes(sent)} in ${formatDuration(seconds)}` +
          (seconds > 0 ? ` (${formatBytes(sent / seconds)}/s)` : "") +
          (result.skipped.length ? `; ${result.skipped.length} already there, skipped` : ""),
      );
    });
    return undefined;
  },
});

export const list = defineCommand({
  path: ["files", "list"],
  summary: "List files, newest first",
  usage: "latchflow files list [--folder F] [--search TEXT] [--limit N] [--all]",
  examples: ["latchflow files list --folder /family/letters", "latchflow files list --search will --json"],
  access: Scope.FilesRead,
  options: {
    folder: { type: "string", value: "FOLDER", description: "only this folder (exactly)" },
    search: { type: "string", value: "TEXT", description: "names containing TEXT" },
    limit: { type: "string", value: "N", description: "at most N files (1–200, default 50)" },
    all: { type: "boolean", description: "every file, following pages" },
    cursor: { type: "string", value: "CURSOR", description: "continue from a previous page's nextCursor" },
  },
  output: {
    description: "{ items: File[], nextCursor: string | null }",
    schema: shape((c) => c.page(c.schemas.FileObject)),
  },
  async run(ctx) {
    const api = await ctx.api();
    const filter = {
      ...(ctx.options.folder ? { folder: ctx.options.folder } : {}),
      ...(ctx.options.search ? { q: ctx.options.search } : {}),
    };
    const result = await pageOrAll(ctx.options, (query) => api.listFiles({ query: { ...filter, ...query } }));
    ctx.out.result(result, () => {
      fileRows(ctx.out, result.items);
      if (result.nextCursor)
        ctx.out.note(`more: latchflow files list --cursor ${result.nextCursor} (or --all)`);
    });
    return undefined;
  },
});

export const show = defineCommand({
  path: ["files", "show"],
  summary: "Show a file's metadata",
  usage: "latchflow files show FILE",
  examples: ["latchflow files show /family/will.pdf", "latchflow files show 01K… --json"],
  access: `${Scope.FilesRead} on the file. ${FILE_REF_HELP}`,
  args: [fileRef],
  output: { description: "File", schema: shape((c) => c.schemas.FileObject) },
  async run(ctx) {
    const api = await ctx.api();
    const f = await api.getFile({ params: { id: await fileId(api, ctx.args[0]!) } });
    ctx.out.result(f, () =>
      ctx.out.fields([
        ["id", f.id],
        ["name", f.name],
        ["folder", f.folder],
        ["type", f.contentType],
        ["size", `${formatBytes(f.size)} (${f.size} bytes)`],
        ["sha256", f.sha256],
        ["bundles", f.bundleIds.join(", ") || "-"],
        ["created", f.createdAt],
        ["updated", f.updatedAt],
      ]),
    );
    return undefined;
  },
});

export const rm = defineCommand({
  path: ["files", "rm"],
  summary: "Delete files that no bundle contains",
  usage: "latchflow files rm FILE...",
  examples: ["latchflow files rm /family/old-draft.pdf"],
  access: `${Scope.FilesWrite} on each file. ${FILE_REF_HELP}`,
  args: [{ ...fileRef, variadic: true }],
  output: {
    description: "{ deleted: File[] }",
    schema: shape((c) => c.z.object({ deleted: c.z.array(c.schemas.FileObject) })),
  },
  async run(ctx) {
    const api = await ctx.api();
    const deleted: schemas.FileObject[] = [];
    for (const ref of ctx.args)
      deleted.push(await api.deleteFile({ params: { id: await fileId(api, ref) } }));
    ctx.out.result({ deleted }, () => {
      for (const f of deleted)
        ctx.out.line(`Deleted ${f.folder === "/" ? "" : f.folder}/${f.name} (${f.id})`);
    });
    return undefined;
  },
});

export const mv = defineCommand({
  path: ["files", "mv"],
  summary: "Rename a file or move it to another folder",
  usage: "latchflow files mv FILE DEST   (DEST: /folder/ to move, /folder/name or name to rename)",
  examples: ["latchflow files mv /inbox/scan.pdf /family/", "latchflow files mv /family/scan.pdf will.pdf"],
  access: `${Scope.FilesWrite} on the file. ${FILE_REF_HELP}`,
  args: [fileRef, { name: "DEST", required: true }],
  output: { description: "File (after the move)", schema: shape((c) => c.schemas.FileObject) },
  async run(ctx) {
    const api = await ctx.api();
    const id = await fileId(api, ctx.args[0]!);
    const dest = ctx.args[1]!;
    const slash = dest.lastIndexOf("/");
    const body =
      slash < 0
        ? { name: dest }
        : {
            folder: slash === 0 ? "/" : dest.slice(0, slash),
            ...(dest.endsWith("/") ? {} : { name: dest.slice(slash + 1) }),
          };
    const f = await api.updateFile({ params: { id }, body });
    ctx.out.result(f, () => ctx.out.line(`Now ${f.folder === "/" ? "" : f.folder}/${f.name} (${f.id})`));
    return undefined;
  },
});

export const commands = [upload, list, show, rm, mv];
