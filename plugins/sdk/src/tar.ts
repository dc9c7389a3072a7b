/** A minimal ustar writer (regular files only), enough for plugin tarballs. */

export interface TarEntry {
  /** Path inside the archive, `/`-separated, at most 100 bytes (no prefix field used). */
  name: string;
  data: Uint8Array;
  /** Default 0o644. */
  mode?: number;
  /** Seconds since the epoch; default a fixed date so tarballs are reproducible (like npm's). */
  mtime?: number;
}

const BLOCK = 512;
/** 1985-10-26T08:15:00Z, the fixed mtime npm uses. */
const FIXED_MTIME = 499162500;

export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry));
    const data = Buffer.from(entry.data);
    parts.push(data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function header(entry: TarEntry): Buffer {
  const name = Buffer.from(entry.name, "utf8");
  if (name.length === 0 || name.length > 100) throw new RangeError(`tar entry name too long: ${entry.name}`);
  const h = Buffer.alloc(BLOCK);
  name.copy(h, 0);
  octal(h, 100, 8, entry.mode ?? 0o644); // mode
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, entry.data.length); // size
  octal(h, 136, 12, entry.mtime ?? FIXED_MTIME); // mtime
  h.fill(0x20, 148, 156); // checksum counted as spaces
  h.write("0", 156, "latin1"); // typeflag: regular file
  h.write("ustar\u000000", 257, "latin1"); // magic + version
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, "latin1");
  return h;
}

function octal(h: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new RangeError(`tar field overflow: ${value}`);
  h.write(`${digits.padStart(length - 1, "0")}\u0000`, offset, "latin1");
}

/**
 * Reads the regular files of a ustar archive (what `tar` writes, and what npm packs). Other entry types
 * (directories, links, pax headers) are skipped; a checksum mismatch or a truncated archive throws. Limits
 * guard against archive bombs: at most `maxFiles` entries and `maxBytes` of content in all.
 */
export function untar(
  archive: Uint8Array,
  limits: { maxFiles?: number; maxBytes?: number } = {},
): Map<string, Buffer> {
  const buf = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const files = new Map<string, Buffer>();
  const maxFiles = limits.maxFiles ?? 1_000;
  const maxBytes = limits.maxBytes ?? 50 * 1024 * 1024;
  let total = 0;
  let offset = 0;
  while (offset + BLOCK <= buf.length) {
    const h = buf.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      h
        .subarray(start, start + length)
        .toString("latin1")
        .replace(/\0.*$/s, "")
        .trim();
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
    if (Number.parseInt(field(148, 8), 8) !== sum) throw new RangeError("tar: header checksum mismatch");
    const size = Number.parseInt(field(124, 12) || "0", 8);
    if (!Number.isFinite(size) || size < 0) throw new RangeError("tar: bad entry size");
    const type = field(156, 1) || "0";
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const start = offset + BLOCK;
    if (start + size > buf.length) throw new RangeError("tar: truncated archive");
    if (type === "0") {
      total += size;
      if (files.size >= maxFiles || total > maxBytes) throw new RangeError("tar: archive too large");
      files.set(name, Buffer.from(buf.subarray(start, start + size)));
    }
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
