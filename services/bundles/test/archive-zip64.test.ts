import { spawnSync } from "node:child_process";
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  type OpenMember,
  planZip,
  sliceZip,
  streamZip,
  type ZipMember,
  type ZipPlan,
} from "../src/archive/index.js";
import { endRecords, localHeader } from "../src/archive/zip-format.js";

// Large archives are planned with fake sizes and never materialized: only header bytes (and, for the
// sparse-file check, the tiny members) are ever written; the 5 GiB member stays a hole.

const GIB = 2 ** 30;
const BIG = 5 * GIB;
const TINY = 70_000;
const MODIFIED_AT = new Date("2025-03-04T05:06:08Z");

const tinyName = (i: number) => `tiny/${String(i).padStart(5, "0")}.txt`;
const NAME = tinyName(0).length; // 14 bytes
const tinyByte = (i: number) => Buffer.from([0x41 + (i % 26)]);
const tinyMembers = (): ZipMember[] =>
  Array.from({ length: TINY }, (_, i) => ({ name: tinyName(i), size: 1, crc32: crc32(tinyByte(i)) }));

/** The archive bytes `[start, end]`, which must consist of header bytes only. */
function headerBytes(plan: ZipPlan, start: number, end: number): Buffer {
  return Buffer.concat(
    sliceZip(plan, start, end).map((p) => {
      if (p.kind !== "bytes") throw new Error(`byte ${start}-${end} is member data`);
      return p.data;
    }),
  );
}

/** Reads a little-endian unsigned 64-bit field as a (safe) number. */
const u64 = (buf: Buffer, at: number) => Number(buf.readBigUInt64LE(at));

interface CentralEntry {
  version: number;
  size32: number;
  offset32: number;
  size: number;
  offset: number;
  extra: Buffer;
  name: string;
}

/** Parses a central directory, resolving ZIP64 extra fields. */
function parseCentralDirectory(dir: Buffer, count: number): CentralEntry[] {
  const entries: CentralEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (dir.readUInt32LE(at) !== 0x02014b50) throw new Error(`no central header at ${at}`);
    const nameLength = dir.readUInt16LE(at + 28);
    const extraLength = dir.readUInt16LE(at + 30);
    const extra = dir.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    const size32 = dir.readUInt32LE(at + 24);
    const offset32 = dir.readUInt32LE(at + 42);
    let size = size32;
    let offset = offset32;
    if (extra.length > 0) {
      let field = 4;
      if (size32 === 0xffffffff) {
        size = u64(extra, field + 8); // uncompressed, then compressed
        if (u64(extra, field) !== size) throw new Error(`sizes differ in entry ${i}`);
        field += 16;
      }
      if (offset32 === 0xffffffff) {
        offset = u64(extra, field);
        field += 8;
      }
      if (extra.readUInt16LE(0) !== 0x0001 || extra.readUInt16LE(2) !== field - 4) {
        throw new Error(`bad ZIP64 extra in entry ${i}`);
      }
    }
    const name = dir.toString("utf8", at + 46, at + 46 + nameLength);
    entries.push({ version: dir.readUInt16LE(at + 6), size32, offset32, size, offset, extra, name });
    at += 46 + nameLength + extraLength;
  }
  expect(at).toBe(dir.length);
  return entries;
}

interface Tail {
  count: number;
  directorySize: number;
  directoryOffset: number;
  eocd: Buffer;
}

/** Parses EOCD, ZIP64 EOCD locator and record from the end of the archive. */
function parseZip64Tail(plan: ZipPlan): Tail {
  const tail = headerBytes(plan, plan.size - 98, plan.size - 1);
  const eocd = tail.subarray(76);
  expect(eocd.readUInt32LE(0)).toBe(0x06054b50);
  const locator = tail.subarray(56, 76);
  expect(locator.readUInt32LE(0)).toBe(0x07064b50);
  expect(locator.readUInt32LE(4)).toBe(0);
  expect(locator.readUInt32LE(16)).toBe(1);
  const recordOffset = u64(locator, 8);
  expect(recordOffset).toBe(plan.size - 98);
  const record = tail.subarray(0, 56);
  expect(record.readUInt32LE(0)).toBe(0x06064b50);
  expect(u64(record, 4)).toBe(44);
  expect(record.readUInt16LE(14)).toBe(45);
  const count = u64(record, 32);
  expect(u64(record, 24)).toBe(count);
  const directorySize = u64(record, 40);
  const directoryOffset = u64(record, 48);
  expect(directoryOffset + directorySize).toBe(recordOffset);
  return { count, directorySize, directoryOffset, eocd };
}

/** Total length of the plan's segments; throws unless they are contiguous and non-empty. */
function segmentsCover(plan: ZipPlan): number {
  let offset = 0;
  for (const s of plan.segments) {
    const length = s.kind === "bytes" ? s.data.length : s.length;
    if (s.offset !== offset || length <= 0) throw new Error(`segment at ${s.offset} breaks the layout`);
    offset += length;
  }
  return offset;
}

/**
 * Writes the plan's header bytes, and the data of the members `data` returns, at their offsets in a
 * sparse file; other members stay holes. Refuses (fails) on a file system without sparse files
 * rather than write gigabytes.
 */
function writeSparse(plan: ZipPlan, file: string, data: (index: number) => Buffer | undefined): void {
  const fd = openSync(file, "w");
  try {
    writeSync(fd, Buffer.from([0]), 0, 1, 64 * 2 ** 20);
    expect(fstatSync(fd).blocks * 512, "the temp file system must support sparse files").toBeLessThan(
      2 ** 20,
    );
    let run: Buffer[] = [];
    let runStart = 0;
    const flush = () => {
      const buf = Buffer.concat(run);
      if (buf.length > 0) writeSync(fd, buf, 0, buf.length, runStart);
      run = [];
    };
    for (const s of plan.segments) {
      const bytes = s.kind === "bytes" ? s.data : data(s.index);
      if (bytes === undefined) {
        flush();
        continue;
      }
      if (run.length === 0) runStart = s.offset;
      run.push(bytes);
    }
    flush();
    ftruncateSync(fd, plan.size);
    expect(fstatSync(fd).blocks * 512).toBeLessThan(64 * 2 ** 20);
  } finally {
    closeSync(fd);
  }
}

const tmp = mkdtempSync(join(tmpdir(), "latchflow-zip64-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function python(args: string[]): string {
  const res = spawnSync("python3", args, { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (res.error) {
    throw new Error(
      `python3 is required by the archive tests (install the python3 package): ${res.error.message}`,
    );
  }
  if (res.status !== 0) throw new Error(`python3 ${args.join(" ")} failed (${res.status}): ${res.stderr}`);
  return res.stdout;
}

const CHECK_ZIP = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    infos = z.infolist()
    tiny = [i for i in infos if i.filename.startswith("tiny/")]
    if sys.argv[2] == "ends":
        tiny = tiny[:3] + tiny[-3:]
    data = b"".join(z.read(i) for i in tiny)  # reads each local header and checks each CRC-32
    print(json.dumps(dict(count=len(infos), first=[infos[0].filename, infos[0].file_size, infos[0].header_offset],
                          last=[infos[-1].filename, infos[-1].header_offset], tiny=len(tiny), data=data.decode())))
`;

import { collect } from "./archive-fixtures.js";

const expectedTinyData = () => Array.from({ length: TINY }, (_, i) => tinyByte(i).toString()).join("");

describe("ZIP64", () => {
  const members: ZipMember[] = [{ name: "big.bin", size: BIG, crc32: 0x12345678 }, ...tinyMembers()];
  const plan = planZip(members, { modifiedAt: MODIFIED_AT });

  it("plans a 5 GiB member and 70,000 others with ZIP64 end records", () => {
    expect(segmentsCover(plan)).toBe(plan.size);
    const tail = parseZip64Tail(plan);
    expect(tail.count).toBe(TINY + 1);
    expect(tail.directoryOffset).toBe(plan.entries.at(-1)!.dataOffset + 1);
    expect(tail.directoryOffset).toBe(30 + 7 + 20 + BIG + TINY * (30 + NAME + 1));
    // EOCD: only overflowing fields hold markers (count, offset); the directory size fits.
    expect(tail.eocd.readUInt16LE(8)).toBe(0xffff);
    expect(tail.eocd.readUInt16LE(10)).toBe(0xffff);
    expect(tail.eocd.readUInt32LE(12)).toBe(tail.directorySize);
    expect(tail.eocd.readUInt32LE(16)).toBe(0xffffffff);
    expect(plan.size).toBe(tail.directoryOffset + tail.directorySize + 56 + 20 + 22);
  });

  it("writes ZIP64 extras exactly where fields overflow", () => {
    const tail = parseZip64Tail(plan);
    const dir = headerBytes(plan, tail.directoryOffset, tail.directoryOffset + tail.directorySize - 1);
    const central = parseCentralDirectory(dir, tail.count);
    const mismatches = central.filter(
      (c, i) =>
        c.name !== members[i]!.name ||
        c.size !== members[i]!.size ||
        c.offset !== plan.entries[i]!.headerOffset,
    );
    expect(mismatches).toEqual([]);
    // the big member: sizes in the extra, offset 0 inline
    expect(central[0]).toMatchObject({ version: 45, size32: 0xffffffff, offset32: 0 });
    expect(central[0]!.extra.length).toBe(20);
    // members after it: inline size, offset in the extra
    expect(central[1]).toMatchObject({
      version: 45,
      size32: 1,
      offset32: 0xffffffff,
      offset: 30 + 7 + 20 + BIG,
    });
    expect(central[1]!.extra.length).toBe(12);

    const big = headerBytes(plan, 0, 56);
    expect(big.readUInt32LE(0)).toBe(0x04034b50);
    expect(big.readUInt16LE(4)).toBe(45);
    expect(big.readUInt32LE(18)).toBe(0xffffffff);
    expect(big.readUInt32LE(22)).toBe(0xffffffff);
    expect(big.readUInt16LE(28)).toBe(20);
    expect(big.toString("utf8", 30, 37)).toBe("big.bin");
    expect(big.readUInt16LE(37)).toBe(0x0001);
    expect(big.readUInt16LE(39)).toBe(16);
    expect(u64(big, 41)).toBe(BIG);
    expect(u64(big, 49)).toBe(BIG);
    expect(plan.entries[0]!.dataOffset).toBe(57);

    // every local header sits where the central directory says, beyond 4 GiB too
    for (const i of [1, 2, 35_000, TINY]) {
      const local = headerBytes(plan, central[i]!.offset, central[i]!.offset + 29 + NAME);
      expect(local.readUInt32LE(0)).toBe(0x04034b50);
      expect(local.readUInt16LE(4)).toBe(45);
      expect(local.readUInt32LE(18)).toBe(1);
      expect(local.readUInt16LE(28)).toBe(0);
      expect(local.toString("utf8", 30)).toBe(members[i]!.name);
    }
  });

  it("slices ranges beyond 4 GiB into member-relative pieces", () => {
    const four = 2 ** 32;
    expect(sliceZip(plan, four - 10, four + 10)).toEqual([
      { kind: "member", index: 0, from: four - 10 - 57, length: 21 },
    ]);
    const bigEnd = plan.entries[0]!.dataOffset + BIG;
    const across = sliceZip(plan, bigEnd - 2, bigEnd + 46);
    expect(across[0]).toEqual({ kind: "member", index: 0, from: BIG - 2, length: 2 });
    expect(across[1]).toMatchObject({ kind: "bytes" });
    expect(across[1]!.kind === "bytes" && across[1]!.data.length).toBe(30 + NAME);
    expect(across[2]).toEqual({ kind: "member", index: 1, from: 0, length: 1 });
    expect(across[3]!.kind === "bytes" && across[3]!.data.length).toBe(47 - (30 + NAME + 1));
    const whole = sliceZip(plan, 0, plan.size - 1);
    expect(whole.reduce((n, p) => n + (p.kind === "bytes" ? p.data.length : p.length), 0)).toBe(plan.size);
  });

  it("is read by python3 zipfile from a sparse file (the 5 GiB member is a hole)", () => {
    const file = join(tmp, "sparse.zip");
    writeSparse(plan, file, (index) => (index === 0 ? undefined : tinyByte(index - 1)));
    const seen = JSON.parse(python(["-c", CHECK_ZIP, file, "all"]));
    expect(seen).toEqual({
      count: TINY + 1,
      first: ["big.bin", BIG, 0],
      last: [tinyName(TINY - 1), plan.entries[TINY]!.headerOffset],
      tiny: TINY,
      data: expectedTinyData(),
    });
    rmSync(file);
  });

  it("orders ZIP64 extra fields as APPNOTE says (sizes, then offset)", () => {
    const two = planZip(
      [
        { name: "one.bin", size: BIG, crc32: 1 },
        { name: "two.bin", size: BIG + 1, crc32: 2 },
      ],
      { modifiedAt: MODIFIED_AT },
    );
    const tail = parseZip64Tail(two);
    expect(tail.count).toBe(2);
    const dir = headerBytes(two, tail.directoryOffset, tail.directoryOffset + tail.directorySize - 1);
    const [, second] = parseCentralDirectory(dir, 2);
    expect(second).toMatchObject({
      size32: 0xffffffff,
      offset32: 0xffffffff,
      size: BIG + 1,
      offset: 57 + BIG,
    });
    expect(second!.extra.length).toBe(4 + 24);
    const file = join(tmp, "two.zip");
    writeSparse(two, file, () => undefined);
    const listed = python([
      "-c",
      "import json, sys, zipfile; print(json.dumps([[i.filename, i.file_size, i.header_offset] for i in zipfile.ZipFile(sys.argv[1]).infolist()]))",
      file,
    ]);
    expect(JSON.parse(listed)).toEqual([
      ["one.bin", BIG, 0],
      ["two.bin", BIG + 1, 57 + BIG],
    ]);
    rmSync(file);
  });

  it("switches to ZIP64 end records for 65,535+ entries alone, and python3 reads them", async () => {
    const empty = tinyMembers().map((m) => ({ ...m, size: 0, crc32: 0 }));
    const small = planZip(empty, { modifiedAt: MODIFIED_AT });
    const tail = parseZip64Tail(small);
    expect(tail.count).toBe(TINY);
    expect(tail.eocd.readUInt16LE(8)).toBe(0xffff);
    expect(tail.eocd.readUInt32LE(16)).toBe(tail.directoryOffset); // fits: no marker
    const dir = headerBytes(small, tail.directoryOffset, tail.directoryOffset + tail.directorySize - 1);
    const zip64Entries = parseCentralDirectory(dir, tail.count).filter(
      (c) => c.version !== 20 || c.extra.length > 0,
    );
    expect(zip64Entries).toEqual([]);

    const file = join(tmp, "many.zip");
    const never: OpenMember = () => Promise.reject(new Error("empty members are never opened"));
    writeFileSync(file, await collect(streamZip(small, sliceZip(small, 0, small.size - 1), never)));
    const seen = JSON.parse(python(["-c", CHECK_ZIP, file, "ends"]));
    expect(seen).toEqual({
      count: TINY,
      first: [tinyName(0), 0, 0],
      last: [tinyName(TINY - 1), small.entries.at(-1)!.headerOffset],
      tiny: 6,
      data: "",
    });
  });

  it("switches exactly at the 16- and 32-bit limits", () => {
    const zip64 = (d: { count: number; size: number; offset: number }) =>
      endRecords(d).length === 22 + 56 + 20;
    expect(zip64({ count: 0xfffe, size: 0xfffffffe, offset: 0xfffffffe })).toBe(false);
    expect(zip64({ count: 0xffff, size: 10, offset: 10 })).toBe(true);
    expect(zip64({ count: 1, size: 0xffffffff, offset: 10 })).toBe(true);
    expect(zip64({ count: 1, size: 10, offset: 0xffffffff })).toBe(true);
    const dos = { date: 0, time: 0 };
    const name = Buffer.from("x");
    const local = (size: number, headerOffset: number) =>
      localHeader({ name, size, crc32: 0, headerOffset, dos });
    expect(local(0xfffffffe, 0xfffffffe).length).toBe(31);
    expect(local(1, 0xffffffff).length).toBe(31); // the offset only appears in the central header…
    expect(local(1, 0xffffffff).readUInt16LE(4)).toBe(45); // …but both headers need version 4.5
    expect(local(0xfffffffe, 0).readUInt16LE(4)).toBe(20);
    expect(local(0xffffffff, 0).length).toBe(31 + 20);
  });
});
