import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  planZip,
  sanitizeEntryNames,
  sliceZip,
  streamZip,
  type ZipMember,
  type ZipPlan,
} from "../src/archive/index.js";

const MODIFIED_AT = new Date("2024-05-17T13:45:31.250Z");

function python(args: string[], input?: string): string {
  const res = spawnSync("python3", args, { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (res.error) {
    throw new Error(
      `python3 is required by the archive tests (install the python3 package): ${res.error.message}`,
    );
  }
  if (res.status !== 0) throw new Error(`python3 ${args.join(" ")} failed (${res.status}): ${res.stderr}`);
  return res.stdout;
}

const READ_ZIP = `
import hashlib, json, sys, zipfile
out = []
with zipfile.ZipFile(sys.argv[1]) as z:
    for i in z.infolist():
        data = z.read(i)  # checks the CRC-32
        out.append(dict(name=i.filename, size=i.file_size, csize=i.compress_size, method=i.compress_type,
                        flags=i.flag_bits, date=list(i.date_time), attr=i.external_attr, system=i.create_system,
                        extract=i.extract_version, crc=i.CRC, extra=i.extra.hex(), sha256=hashlib.sha256(data).hexdigest()))
print(json.dumps(out))
`;

import { collect, openFrom, randomBytes, seeded } from "./archive-fixtures.js";

interface Fixture {
  members: ZipMember[];
  contents: Buffer[];
}

function fixture(): Fixture {
  const random = seeded(20240517);
  const sizes = [
    0,
    1,
    2,
    3,
    100,
    1023,
    4096,
    5000,
    0,
    7 * 1024,
    7 * 1024 + 1,
    65_535,
    65_536,
    100_000,
    1 << 20,
    1,
  ];
  sizes.push(3 * 1024, 12_345, (1 << 20) - 7, 250);
  const paths = [
    "empty.txt",
    "one.bin",
    "../../etc/passwd",
    "docs\\readme.md",
    "Données/été.txt",
    "Données/Été.txt",
    "日本語/ファイル.dat",
    "emoji 😀.bin",
    "empty.txt",
    "a/b/c/d/deep.bin",
    "a/b/c/d/deep.bin",
    "CON.txt",
    "tab\tname.bin",
    "e\u0301.bin",
    "big.bin",
    "a",
    "a/x.bin",
    "C:\\Windows\\x.bin",
    "almost-a-mebibyte.bin",
    "last",
  ];
  const names = sanitizeEntryNames(paths);
  const contents = sizes.map((size) => randomBytes(random, size));
  const members = contents.map((data, i) => ({ name: names[i]!, size: data.length, crc32: crc32(data) }));
  return { members, contents };
}

async function streamAll(plan: ZipPlan, contents: readonly Buffer[]): Promise<Buffer> {
  return collect(streamZip(plan, sliceZip(plan, 0, plan.size - 1), openFrom(contents)));
}

const tmp = mkdtempSync(join(tmpdir(), "latchflow-archive-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("streamed ZIP", () => {
  it("is a valid archive whose entries extract to the inputs (python3 zipfile)", async () => {
    const { members, contents } = fixture();
    const plan = planZip(members, { modifiedAt: MODIFIED_AT });
    const zip = await streamAll(plan, contents);
    expect(zip.length).toBe(plan.size);
    const file = join(tmp, "bundle.zip");
    writeFileSync(file, zip);

    const tested = python(["-m", "zipfile", "-t", file]);
    expect(tested).toContain("Done testing");
    expect(tested).not.toContain("corrupted");

    const listed = JSON.parse(python(["-c", READ_ZIP, file])) as Record<string, unknown>[];
    expect(listed.map((e) => e.name)).toEqual(members.map((m) => m.name));
    listed.forEach((e, i) => {
      expect(e).toEqual({
        name: members[i]!.name,
        size: contents[i]!.length,
        csize: contents[i]!.length,
        method: 0,
        flags: 0x800,
        date: [2024, 5, 17, 13, 45, 30],
        attr: (0o100644 << 16) >>> 0,
        system: 3,
        extract: 20,
        crc: members[i]!.crc32,
        extra: "",
        sha256: createHash("sha256").update(contents[i]!).digest("hex"),
      });
    });
  });

  it("covers the archive with contiguous segments and starts/ends with the right records", () => {
    const { members } = fixture();
    const plan = planZip(members, { modifiedAt: MODIFIED_AT });
    let offset = 0;
    for (const s of plan.segments) {
      expect(s.offset).toBe(offset);
      const length = s.kind === "bytes" ? s.data.length : s.length;
      expect(length).toBeGreaterThan(0);
      offset += length;
    }
    expect(offset).toBe(plan.size);
    const first = plan.segments[0]!;
    const last = plan.segments.at(-1)!;
    expect(first.kind === "bytes" && first.data.readUInt32LE(0)).toBe(0x04034b50);
    expect(last.kind === "bytes" && last.data.readUInt32LE(last.data.length - 22)).toBe(0x06054b50);
    plan.entries.forEach((e, i) => {
      expect(e.dataOffset - e.headerOffset).toBe(30 + Buffer.byteLength(members[i]!.name));
    });
  });

  it("is deterministic, and its ETag follows the layout inputs", async () => {
    const { members, contents } = fixture();
    const a = planZip(members, { modifiedAt: MODIFIED_AT });
    const b = planZip(
      members.map((m) => ({ ...m })),
      { modifiedAt: new Date(MODIFIED_AT.getTime()) },
    );
    expect(b.etag).toBe(a.etag);
    expect(a.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect((await streamAll(b, contents)).equals(await streamAll(a, contents))).toBe(true);

    const etagOf = (ms: ZipMember[], modifiedAt = MODIFIED_AT) => planZip(ms, { modifiedAt }).etag;
    const renamed = members.map((m, i) => (i === 4 ? { ...m, name: "Données/autre.txt" } : m));
    const resized = members.map((m, i) => (i === 1 ? { ...m, size: 2 } : m));
    const recrc = members.map((m, i) => (i === 1 ? { ...m, crc32: (m.crc32 + 1) >>> 0 } : m));
    const reordered = [members[1]!, members[0]!, ...members.slice(2)];
    const identified = members.map((m, i) => (i === 1 ? { ...m, contentId: "sha256:abc" } : m));
    const etags = [
      a.etag,
      etagOf(members, new Date(MODIFIED_AT.getTime() + 3_600_000)),
      etagOf(renamed),
      etagOf(resized),
      etagOf(recrc),
      etagOf(reordered),
      etagOf(identified),
    ];
    expect(new Set(etags).size).toBe(etags.length);
  });

  it("writes MS-DOS times in UTC and clamps them to 1980–2107", () => {
    const dosOf = (modifiedAt: Date) => {
      const s = planZip([{ name: "x", size: 0, crc32: 0 }], { modifiedAt }).segments[0]!;
      if (s.kind !== "bytes") throw new Error("expected header bytes");
      return [s.data.readUInt16LE(12), s.data.readUInt16LE(10)];
    };
    expect(dosOf(new Date("2024-05-17T13:45:31Z"))).toEqual([
      (44 << 9) | (5 << 5) | 17,
      (13 << 11) | (45 << 5) | 15,
    ]);
    expect(dosOf(new Date("1970-01-01T00:00:00Z"))).toEqual([(1 << 5) | 1, 0]);
    expect(dosOf(new Date("2200-01-01T00:00:00Z"))).toEqual([
      (127 << 9) | (12 << 5) | 31,
      (23 << 11) | (59 << 5) | 29,
    ]);
    expect(() => dosOf(new Date(Number.NaN))).toThrow(RangeError);
  });

  it("rejects impossible members", () => {
    const at = { modifiedAt: MODIFIED_AT };
    expect(() => planZip([{ name: "x", size: -1, crc32: 0 }], at)).toThrow(/size/);
    expect(() => planZip([{ name: "x", size: 1.5, crc32: 0 }], at)).toThrow(/size/);
    expect(() => planZip([{ name: "x", size: 1, crc32: 2 ** 32 }], at)).toThrow(/CRC/);
    expect(() => planZip([{ name: "x", size: 0, crc32: 1 }], at)).toThrow(/empty/);
  });

  it("plans an empty archive as a lone end record", async () => {
    const plan = planZip([], { modifiedAt: MODIFIED_AT });
    expect(plan.size).toBe(22);
    const file = join(tmp, "empty.zip");
    writeFileSync(file, await streamAll(plan, []));
    expect(JSON.parse(python(["-c", READ_ZIP, file]))).toEqual([]);
  });
});
