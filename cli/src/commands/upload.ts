// `files upload`: the local side. A folder upload is a list of files, each a unit: a file already on the
// server in the same folder with the same name, size and sha256 is skipped, so an upload that was killed
// resumes at the first file that did not finish (the server has no partial upload: an interrupted request
// stores nothing; ADR 023). A file whose upload broke on the way (connection lost, server or proxy briefly
// unavailable, rate limited) is tried again by itself, after checking that the lost answer did not store it.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join, posix, relative, sep } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { schemas } from "@latchflow/api";
import type { ApiClient } from "./command.js";
import { CliError, ExitCode } from "./exit-codes.js";
import type { Progress } from "./output.js";
import { sleep } from "./poll.js";
import { listAll } from "./resolve.js";

/** One local file to upload and where it goes. */
export interface PlannedFile {
  path: string;
  name: string;
  folder: string;
  size: number;
}

const READ_BUFFER = 1024 * 1024; // ~3× faster than the 64 KiB default for big files (ENVIRONMENT.md)

/** Joins a server folder and a relative local folder: ("/in", "a/b") → "/in/a/b". */
function serverFolder(base: string, rel: string): string {
  const parts = rel.split(sep).filter(Boolean);
  return posix.join(base.startsWith("/") ? base : `/${base}`, ...parts);
}

async function walk(dir: string, onFile: (path: string, size: number) => void): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, onFile);
    else if (e.isFile()) onFile(path, (await stat(path)).size);
  }
}

/**
 * The files under the given paths, in a stable order: a file goes to `folder`; a directory `d` goes to
 * `folder/d/…`, keeping its tree.
 */
export async function planUpload(paths: string[], folder: string): Promise<PlannedFile[]> {
  const planned: PlannedFile[] = [];
  for (const p of paths) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(p);
    } catch {
      throw new CliError(`${p}: no such file or folder`, ExitCode.NotFound, "check the path", "not_found");
    }
    if (s.isDirectory()) {
      const root = p.replace(/[/\\]+$/, "");
      const top = basename(root);
      await walk(root, (path, size) => {
        const rel = relative(root, join(path, ".."));
        planned.push({ path, name: basename(path), folder: serverFolder(folder, join(top, rel)), size });
      });
    } else {
      planned.push({ path: p, name: basename(p), folder: serverFolder(folder, ""), size: s.size });
    }
  }
  return planned;
}

/** sha256 of a local file, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path, { highWaterMark: READ_BUFFER }), hash);
  return hash.digest("hex");
}

/** The server's files of each folder the plan touches, by name (one listing per folder). */
export async function existingByFolder(
  api: ApiClient,
  folders: Iterable<string>,
): Promise<Map<string, schemas.FileObject[]>> {
  const byKey = new Map<string, schemas.FileObject[]>();
  for (const folder of new Set(folders)) {
    const files = await listAll((cursor) =>
      api.listFiles({ query: { folder, limit: 200, ...(cursor ? { cursor } : {}) } }),
    );
    for (const f of files) {
      const key = `${f.folder}\u0000${f.name}`;
      byKey.set(key, [...(byKey.get(key) ?? []), f]);
    }
  }
  return byKey;
}

/** The file on the server this local file already is (same folder, name, size and content), if any. */
export async function alreadyUploaded(
  file: PlannedFile,
  existing: Map<string, schemas.FileObject[]>,
): Promise<schemas.FileObject | undefined> {
  const same = (existing.get(`${file.folder}\u0000${file.name}`) ?? []).filter((f) => f.size === file.size);
  if (same.length === 0) return undefined;
  const sha = await sha256File(file.path);
  return same.find((f) => f.sha256 === sha);
}

const TYPES: Record<string, string> = {
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".pdf": "application/pdf",
  ".json": "application/json",
  ".csv": "text/csv",
  ".zip": "application/zip",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".mp4": "video/mp4",
  ".html": "text/html",
};
const contentTypeOf = (name: string) =>
  TYPES[name.slice(name.lastIndexOf(".")).toLowerCase()] ?? "application/octet-stream";

/**
 * Streams one file to POST /api/v1/files, hashing it on the way; fails when the server stored other bytes
 * than were read (a sha256 mismatch).
 */
export async function uploadOne(
  api: ApiClient,
  file: PlannedFile,
  progress: Progress,
  signal: AbortSignal,
): Promise<schemas.FileObject> {
  const hash = createHash("sha256");
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      progress.advance(chunk.length);
      done(null, chunk);
    },
  });
  const source = createReadStream(file.path, { highWaterMark: READ_BUFFER });
  source.once("error", (err) => counter.destroy(err));
  source.pipe(counter);
  const created = await api.uploadFile({
    // the CLI's fetch (http-fetch.ts) streams a Node Readable as the request body
    body: counter,
    contentType: contentTypeOf(file.name),
    headers: {
      "x-file-name": encodeURIComponent(file.name),
      "x-folder": file.folder,
      "content-length": String(file.size),
    },
    signal,
  });
  const local = hash.digest("hex");
  if (created.sha256 !== local) {
    throw new CliError(
      `${file.path}: the server stored other bytes (sha256 ${created.sha256}, read ${local})`,
      ExitCode.Error,
      "the file changed while it was read: upload it again",
      "integrity_failed",
    );
  }
  return created;
}

/** Waits before the 2nd, 3rd and 4th try of one file; then the error is the command's. */
const RETRY_WAITS_MS = [1_000, 3_000, 9_000];
/** Answers that say "not now" rather than "no": a proxy or the server briefly unavailable, or rate limited. */
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * How long to wait before trying a file again after `err` (its `attempt`-th failure, from 0), or undefined
 * when it is not worth trying again: a refusal (4xx), a server error, or too many tries.
 */
export function retryWait(err: unknown, attempt: number): number | undefined {
  const backoff = RETRY_WAITS_MS[attempt];
  if (backoff === undefined) return undefined;
  if (err instanceof TypeError && err.message === "fetch failed") return backoff;
  const e = err as { name?: unknown; status?: unknown; headers?: { get(name: string): string | null } };
  if (e?.name !== "ApiError" || typeof e.status !== "number" || !RETRIED_STATUSES.has(e.status))
    return undefined;
  const after = Number(e.headers?.get("retry-after") ?? Number.NaN);
  return after > 0 ? Math.min(after * 1000, MAX_RETRY_AFTER_MS) : backoff;
}

const reasonOf = (err: unknown): string => {
  const e = err as { status?: unknown; message?: string; cause?: { code?: unknown } };
  if (typeof e.status === "number") return `the server answered ${e.status}`;
  return typeof e.cause?.code === "string"
    ? `the connection broke (${e.cause.code})`
    : "the connection broke";
};

/**
 * `uploadOne`, tried again (up to 3 more times, waiting 1, 3, 9 s or the server's Retry-After) when the
 * upload broke on the way. Before each retry the folder is listed again: when the server stored the file but
 * its answer was lost, that file is the result, so a retry never stores a file twice.
 */
export async function uploadWithRetries(
  api: ApiClient,
  file: PlannedFile,
  progress: Progress,
  signal: AbortSignal,
  say: (text: string) => void,
): Promise<schemas.FileObject> {
  for (let attempt = 0; ; attempt++) {
    let sent = 0;
    const counted: Progress = {
      advance(n) {
        sent += n;
        progress.advance(n);
      },
      label: (text) => progress.label(text),
      done: () => progress.done(),
    };
    try {
      return await uploadOne(api, file, counted, signal);
    } catch (err) {
      const wait = signal.aborted ? undefined : retryWait(err, attempt);
      if (wait === undefined) throw err;
      progress.advance(-sent);
      say(
        `${file.path}: ${reasonOf(err)}; trying again in ${Math.ceil(wait / 1000)} s (try ${attempt + 2} of ${RETRY_WAITS_MS.length + 1})`,
      );
      if (!(await sleep(wait, signal)))
        throw Object.assign(new Error("The operation was aborted"), { name: "AbortError" });
      const stored = await alreadyUploaded(file, await existingByFolder(api, [file.folder]));
      if (stored) {
        progress.advance(file.size);
        return stored;
      }
    }
  }
}
