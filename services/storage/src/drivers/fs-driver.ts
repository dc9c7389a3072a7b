import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { notFound, releasingWrites } from "@latchflow/runtime";
import { type BlobDriver, type ByteRange, checkKey, type ObjectInfo } from "./blob-driver.js";

const BUFFER = 1024 * 1024;
const TMP = ".tmp";

/**
 * Objects as files under `root` (`<dataDir>/blobs`). A put writes `root/.tmp/<random>` (mode 0600, 1 MiB
 * buffers, fsync before close), then renames it into place and fsyncs the folder; stream reads use 1 MiB buffers,
 * positional reads the caller's.
 */
export function createFsDriver(root: string): BlobDriver {
  const tmpDir = join(root, TMP);
  const pathOf = (key: string) => join(root, ...checkKey(key).split("/"));
  let dirsReady: Promise<void> | undefined;
  const ensureDirs = () => {
    dirsReady ??= mkdir(tmpDir, { recursive: true, mode: 0o700 }).then(() => undefined);
    return dirsReady;
  };

  async function fsyncDir(path: string): Promise<void> {
    const fh = await open(path, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  return {
    kind: "fs",
    async put(key, body, options) {
      const target = pathOf(key);
      await ensureDirs();
      const tmp = join(tmpDir, `${Date.now()}-${randomBytes(8).toString("hex")}`);
      let size = 0;
      try {
        const out = createWriteStream(tmp, { flags: "wx", mode: 0o600, highWaterMark: BUFFER, flush: true });
        // piped as the pieces come (an iterating stage in between would concatenate what waits: a copy of
        // every byte)
        await pipeline(body, options?.releaseWritten ? releasingWrites(out, BUFFER) : out);
        size = out.bytesWritten;
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        await rename(tmp, target);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      await fsyncDir(dirname(target));
      return { size };
    },

    async read(key, range?: ByteRange) {
      const path = pathOf(key);
      let size: number;
      try {
        size = (await stat(path)).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") throw notFound("Object not found", { key });
        throw err;
      }
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? size, size);
      if (start >= end) return Readable.from([]);
      return createReadStream(path, { start, end: end - 1, highWaterMark: BUFFER });
    },

    async openPositional(key) {
      let fh: FileHandle;
      try {
        fh = await open(pathOf(key), "r");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") throw notFound("Object not found", { key });
        throw err;
      }
      return {
        read: async (into, length, position) => (await fh.read(into, 0, length, position)).bytesRead,
        close: () => fh.close(),
      };
    },

    async delete(key) {
      await rm(pathOf(key), { force: true });
    },

    async stat(key) {
      try {
        const s = await stat(pathOf(key));
        return s.isFile() ? { size: s.size } : undefined;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
    },

    async *list(prefix) {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await readdir(root, { recursive: true, withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const e of entries) {
        if (!e.isFile()) continue;
        const full = join(e.parentPath, e.name);
        const key = relative(root, full).split(sep).join("/");
        if (key.startsWith(`${TMP}/`) || !key.startsWith(prefix)) continue;
        const s = await stat(full).catch(() => undefined);
        if (s) yield { key, size: s.size, modifiedAt: s.mtime } satisfies ObjectInfo;
      }
    },

    async removeIncomplete(olderThanMs) {
      let names: string[];
      try {
        names = await readdir(tmpDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
        throw err;
      }
      let removed = 0;
      for (const name of names) {
        const path = join(tmpDir, name);
        const s = await stat(path).catch(() => undefined);
        if (s && Date.now() - s.mtimeMs >= olderThanMs) {
          await rm(path, { force: true, recursive: true });
          removed++;
        }
      }
      return removed;
    },

    async close() {},
  };
}
