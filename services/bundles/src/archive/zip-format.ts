/**
 * Byte layouts of the ZIP records Latchflow writes (APPNOTE 6.3.10): store method, UTF-8 names, sizes
 * and CRCs known up front (no data descriptors), ZIP64 only where a field overflows. Internal to the
 * archive folder; {@link planZip} is the public door.
 */

/** A 32-bit field at or above this value needs ZIP64 (the value itself is the ZIP64 marker). */
export const MAX_32 = 0xffffffff;
/** A 16-bit entry count at or above this value needs ZIP64. */
export const MAX_16 = 0xffff;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA_ID = 0x0001;

const VERSION_PLAIN = 20;
const VERSION_ZIP64 = 45;
const MADE_BY_UNIX = 3 << 8;
const FLAG_UTF8 = 1 << 11;
const METHOD_STORE = 0;
/** `-rw-r--r--` regular file, in the high 16 bits as Unix "made by" expects. */
const EXTERNAL_ATTR_FILE = (0o100644 << 16) >>> 0;

/** Fixed part of a local file header (name and extra field follow). */
export const LOCAL_HEADER_SIZE = 30;
/** Fixed part of a central directory header (name, extra field and comment follow). */
export const CENTRAL_HEADER_SIZE = 46;
/** End of central directory record, without comment. */
export const EOCD_SIZE = 22;
/** ZIP64 end of central directory record, without extensible data. */
export const ZIP64_EOCD_SIZE = 56;
/** ZIP64 end of central directory locator. */
export const ZIP64_LOCATOR_SIZE = 20;

/** MS-DOS date and time, as stored in ZIP headers. */
export interface DosDateTime {
  date: number;
  time: number;
}

/**
 * Converts a UTC instant to MS-DOS date/time (2-second resolution), clamped to the representable
 * range 1980-01-01T00:00:00 … 2107-12-31T23:59:58.
 */
export function toDosDateTime(at: Date): DosDateTime {
  const ms = at.getTime();
  if (!Number.isFinite(ms)) throw new RangeError("modifiedAt is not a valid date");
  const d = new Date(Math.min(Math.max(ms, Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31, 23, 59, 58)));
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/** What one entry's headers need to know. */
export interface EntryFields {
  name: Buffer;
  size: number;
  crc32: number;
  /** Offset of the entry's local header in the archive. */
  headerOffset: number;
  dos: DosDateTime;
}

const clamp32 = (n: number): number => Math.min(n, MAX_32);

/** True when the entry needs any ZIP64 field (size or local-header offset overflows 32 bits). */
export function entryNeedsZip64(e: Pick<EntryFields, "size" | "headerOffset">): boolean {
  return e.size >= MAX_32 || e.headerOffset >= MAX_32;
}

function zip64Extra(values: number[]): Buffer {
  if (values.length === 0) return Buffer.alloc(0);
  const buf = Buffer.alloc(4 + 8 * values.length);
  buf.writeUInt16LE(ZIP64_EXTRA_ID, 0);
  buf.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => {
    buf.writeBigUInt64LE(BigInt(v), 4 + 8 * i);
  });
  return buf;
}

/**
 * Local file header. When the size overflows, both size fields hold the marker and the ZIP64 extra
 * carries both sizes (APPNOTE 4.5.3 requires both in the local header).
 */
export function localHeader(e: EntryFields): Buffer {
  const big = e.size >= MAX_32;
  const extra = zip64Extra(big ? [e.size, e.size] : []);
  const buf = Buffer.alloc(LOCAL_HEADER_SIZE + e.name.length + extra.length);
  buf.writeUInt32LE(SIG_LOCAL, 0);
  buf.writeUInt16LE(entryNeedsZip64(e) ? VERSION_ZIP64 : VERSION_PLAIN, 4);
  buf.writeUInt16LE(FLAG_UTF8, 6);
  buf.writeUInt16LE(METHOD_STORE, 8);
  buf.writeUInt16LE(e.dos.time, 10);
  buf.writeUInt16LE(e.dos.date, 12);
  buf.writeUInt32LE(e.crc32, 14);
  buf.writeUInt32LE(clamp32(e.size), 18);
  buf.writeUInt32LE(clamp32(e.size), 22);
  buf.writeUInt16LE(e.name.length, 26);
  buf.writeUInt16LE(extra.length, 28);
  e.name.copy(buf, LOCAL_HEADER_SIZE);
  extra.copy(buf, LOCAL_HEADER_SIZE + e.name.length);
  return buf;
}

/**
 * Central directory header. The ZIP64 extra holds, in APPNOTE order, only the fields whose 32-bit
 * slot holds the marker: uncompressed size, compressed size, local header offset.
 */
export function centralHeader(e: EntryFields): Buffer {
  const big = e.size >= MAX_32;
  const far = e.headerOffset >= MAX_32;
  const extra = zip64Extra([...(big ? [e.size, e.size] : []), ...(far ? [e.headerOffset] : [])]);
  const version = entryNeedsZip64(e) ? VERSION_ZIP64 : VERSION_PLAIN;
  const buf = Buffer.alloc(CENTRAL_HEADER_SIZE + e.name.length + extra.length);
  buf.writeUInt32LE(SIG_CENTRAL, 0);
  buf.writeUInt16LE(MADE_BY_UNIX | version, 4);
  buf.writeUInt16LE(version, 6);
  buf.writeUInt16LE(FLAG_UTF8, 8);
  buf.writeUInt16LE(METHOD_STORE, 10);
  buf.writeUInt16LE(e.dos.time, 12);
  buf.writeUInt16LE(e.dos.date, 14);
  buf.writeUInt32LE(e.crc32, 16);
  buf.writeUInt32LE(clamp32(e.size), 20);
  buf.writeUInt32LE(clamp32(e.size), 24);
  buf.writeUInt16LE(e.name.length, 28);
  buf.writeUInt16LE(extra.length, 30);
  buf.writeUInt16LE(0, 32); // comment length
  buf.writeUInt16LE(0, 34); // disk number start
  buf.writeUInt16LE(0, 36); // internal attributes
  buf.writeUInt32LE(EXTERNAL_ATTR_FILE, 38);
  buf.writeUInt32LE(clamp32(e.headerOffset), 42);
  e.name.copy(buf, CENTRAL_HEADER_SIZE);
  extra.copy(buf, CENTRAL_HEADER_SIZE + e.name.length);
  return buf;
}

/** Where the central directory is and how many entries it has. */
export interface DirectoryFields {
  count: number;
  /** Central directory size in bytes. */
  size: number;
  /** Central directory offset in the archive. */
  offset: number;
}

/** True when the end records need the ZIP64 end of central directory record and locator. */
export function directoryNeedsZip64(d: DirectoryFields): boolean {
  return d.count >= MAX_16 || d.size >= MAX_32 || d.offset >= MAX_32;
}

/**
 * The records after the central directory: `[ZIP64 EOCD record, ZIP64 EOCD locator,]` EOCD. With
 * ZIP64, only the overflowing EOCD fields hold the 0xFFFF/0xFFFFFFFF markers.
 */
export function endRecords(d: DirectoryFields): Buffer {
  const zip64 = directoryNeedsZip64(d);
  const head = zip64 ? ZIP64_EOCD_SIZE + ZIP64_LOCATOR_SIZE : 0;
  const buf = Buffer.alloc(head + EOCD_SIZE);
  if (zip64) {
    const recordOffset = d.offset + d.size;
    buf.writeUInt32LE(SIG_ZIP64_EOCD, 0);
    buf.writeBigUInt64LE(BigInt(ZIP64_EOCD_SIZE - 12), 4); // size of the rest of the record
    buf.writeUInt16LE(MADE_BY_UNIX | VERSION_ZIP64, 12);
    buf.writeUInt16LE(VERSION_ZIP64, 14);
    buf.writeUInt32LE(0, 16); // this disk
    buf.writeUInt32LE(0, 20); // disk with the central directory
    buf.writeBigUInt64LE(BigInt(d.count), 24);
    buf.writeBigUInt64LE(BigInt(d.count), 32);
    buf.writeBigUInt64LE(BigInt(d.size), 40);
    buf.writeBigUInt64LE(BigInt(d.offset), 48);
    buf.writeUInt32LE(SIG_ZIP64_LOCATOR, ZIP64_EOCD_SIZE);
    buf.writeUInt32LE(0, ZIP64_EOCD_SIZE + 4); // disk with the ZIP64 EOCD record
    buf.writeBigUInt64LE(BigInt(recordOffset), ZIP64_EOCD_SIZE + 8);
    buf.writeUInt32LE(1, ZIP64_EOCD_SIZE + 16); // total disks
  }
  const count16 = Math.min(d.count, MAX_16);
  buf.writeUInt32LE(SIG_EOCD, head);
  buf.writeUInt16LE(0, head + 4); // this disk
  buf.writeUInt16LE(0, head + 6); // disk with the central directory
  buf.writeUInt16LE(count16, head + 8);
  buf.writeUInt16LE(count16, head + 10);
  buf.writeUInt32LE(clamp32(d.size), head + 12);
  buf.writeUInt32LE(clamp32(d.offset), head + 16);
  buf.writeUInt16LE(0, head + 20); // comment length
  return buf;
}
