import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ifRangeMatches,
  type OpenMember,
  parseRange,
  planZip,
  sliceZip,
  streamZip,
  type ZipPlan,
} from "../src/archive/index.js";
import { seeded } from "./archive-fixtures.js";

const random = seeded(7);
const contents = [0, 1, 3000, 0, 70_000, 17, 200_000, 5].map((size) =>
  Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256))),
);
const plan: ZipPlan = planZip(
  contents.map((data, i) => ({ name: `dir ${i % 3}/file-${i}.bin`, size: data.length, crc32: crc32(data) })),
  { modifiedAt: new Date("2025-01-02T03:04:05Z") },
);

const open: OpenMember = async (index, from, length) => {
  const data = contents[index]!.subarray(from, from + length);
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += 4096) chunks.push(data.subarray(i, i + 4096));
  return Readable.from(chunks);
};

async function read(start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of streamZip(plan, sliceZip(plan, start, end), open)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let full: Buffer;
beforeAll(async () => {
  full = await read(0, plan.size - 1);
  expect(full.length).toBe(plan.size);
});

describe("sliceZip + streamZip", () => {
  it("produces exactly the requested slice for edge ranges", async () => {
    const directory = plan.segments.at(-1)!.offset; // the central directory starts the last segment
    const sixth = plan.entries[6]!;
    const cases: [string, number, number][] = [
      ["first byte", 0, 0],
      ["last byte", plan.size - 1, plan.size - 1],
      ["whole file", 0, plan.size - 1],
      ["header into data", sixth.dataOffset - 3, sixth.dataOffset + 2],
      ["data into next header", sixth.dataOffset + sixth.size - 2, sixth.dataOffset + sixth.size + 5],
      ["exactly one member's data", sixth.dataOffset, sixth.dataOffset + sixth.size - 1],
      ["one byte of data", sixth.dataOffset + 1000, sixth.dataOffset + 1000],
      ["inside the central directory", directory + 10, directory + 60],
      ["data into the central directory", directory - 4, directory + 4],
      ["end records", plan.size - 22, plan.size - 1],
    ];
    for (const [label, start, end] of cases) {
      expect((await read(start, end)).equals(full.subarray(start, end + 1)), label).toBe(true);
    }
  });

  it("maps ranges to pieces with member-relative offsets", () => {
    const sixth = plan.entries[6]!;
    expect(sliceZip(plan, sixth.dataOffset + 10, sixth.dataOffset + 19)).toEqual([
      { kind: "member", index: 6, from: 10, length: 10 },
    ]);
    const across = sliceZip(plan, sixth.dataOffset - 1, sixth.dataOffset);
    expect(across).toHaveLength(2);
    expect(across[0]).toMatchObject({
      kind: "bytes",
      data: full.subarray(sixth.dataOffset - 1, sixth.dataOffset),
    });
    expect(across[1]).toEqual({ kind: "member", index: 6, from: 0, length: 1 });
  });

  it("produces exactly the requested slice for random ranges", async () => {
    const rnd = seeded(99);
    for (let i = 0; i < 150; i++) {
      const a = Math.floor(rnd() * plan.size);
      const b =
        rnd() < 0.3 ? Math.min(plan.size - 1, a + Math.floor(rnd() * 64)) : Math.floor(rnd() * plan.size);
      const [start, end] = a <= b ? [a, b] : [b, a];
      expect((await read(start, end)).equals(full.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
  });

  it("serves parsed suffix and open-ended ranges", async () => {
    for (const header of ["bytes=-1", "bytes=5-", "bytes=-100000000", "bytes=0-"]) {
      const r = parseRange(header, plan.size);
      if (r.kind !== "partial") throw new Error(`expected a partial range for ${header}`);
      expect((await read(r.start, r.end)).equals(full.subarray(r.start, r.end + 1)), header).toBe(true);
    }
  });

  it("rejects out-of-bounds slices", () => {
    for (const [start, end] of [
      [-1, 3],
      [5, 4],
      [0, plan.size],
      [0.5, 3],
    ] as const) {
      expect(() => sliceZip(plan, start, end)).toThrow(RangeError);
    }
  });
});

describe("parseRange", () => {
  it.each([
    [undefined, 1000, { kind: "full" }],
    ["bytes=0-499", 1000, { kind: "partial", start: 0, end: 499 }],
    ["bytes=500-999", 1000, { kind: "partial", start: 500, end: 999 }],
    ["bytes=500-5000", 1000, { kind: "partial", start: 500, end: 999 }],
    ["bytes=999-", 1000, { kind: "partial", start: 999, end: 999 }],
    ["bytes=5-", 1000, { kind: "partial", start: 5, end: 999 }],
    ["bytes=-1", 1000, { kind: "partial", start: 999, end: 999 }],
    ["bytes=-500", 1000, { kind: "partial", start: 500, end: 999 }],
    ["bytes=-5000", 1000, { kind: "partial", start: 0, end: 999 }],
    ["bytes=0-99999999999999999999", 1000, { kind: "partial", start: 0, end: 999 }],
    ["Bytes=1-2", 1000, { kind: "partial", start: 1, end: 2 }],
    ["bytes= 1-2 ,", 1000, { kind: "partial", start: 1, end: 2 }],
    ["bytes=1000-", 1000, { kind: "unsatisfiable" }],
    ["bytes=1000-2000", 1000, { kind: "unsatisfiable" }],
    ["bytes=99999999999999999999-", 1000, { kind: "unsatisfiable" }],
    ["bytes=5-4", 1000, { kind: "unsatisfiable" }],
    ["bytes=-0", 1000, { kind: "unsatisfiable" }],
    ["bytes=0-0", 0, { kind: "unsatisfiable" }],
    ["bytes=-5", 0, { kind: "unsatisfiable" }],
    ["bytes=0-1,5-6", 1000, { kind: "full" }],
    ["items=0-1", 1000, { kind: "full" }],
    ["bytes", 1000, { kind: "full" }],
    ["bytes=", 1000, { kind: "full" }],
    ["bytes=-", 1000, { kind: "full" }],
    ["bytes=abc", 1000, { kind: "full" }],
    ["bytes=1-b", 1000, { kind: "full" }],
    ["bytes=+1-2", 1000, { kind: "full" }],
    ["bytes=1 - 2", 1000, { kind: "full" }],
    ["bytes=1.5-2", 1000, { kind: "full" }],
    ["bytes=--1", 1000, { kind: "full" }],
    ["bytes=0x10-", 1000, { kind: "full" }],
  ])("%j of %d → %j", (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe("ifRangeMatches", () => {
  const etag = '"abc123"';
  it.each([
    [undefined, true],
    ['"abc123"', true],
    [' "abc123" ', true],
    ['"abc124"', false],
    ['W/"abc123"', false],
    ["abc123", false],
    ["Wed, 21 Oct 2015 07:28:00 GMT", false],
    ["", false],
  ])("%j → %s", (header, expected) => {
    expect(ifRangeMatches(header, etag)).toBe(expected);
  });

  it("never matches a weak validator", () => {
    expect(ifRangeMatches('W/"abc123"', 'W/"abc123"')).toBe(false);
  });

  it("matches the plan's own ETag", () => {
    expect(ifRangeMatches(plan.etag, plan.etag)).toBe(true);
  });
});
