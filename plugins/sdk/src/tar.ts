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
