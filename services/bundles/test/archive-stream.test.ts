import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { type OpenMember, planZip, sliceZip, streamZip, type ZipMember } from "../src/archive/index.js";
import { bufferStream, collect, openFrom, randomBytes, seeded } from "./archive-fixtures.js";

const MODIFIED_AT = new Date("2024-05-17T13:45:31Z");

describe("streamZip", () => {
  const members: ZipMember[] = [
    { name: "a.bin", size: 50_000, crc32: 0 },
    { name: "b.bin", size: 10, crc32: 0 },
  ];
  const contents = [randomBytes(seeded(1), 50_000), randomBytes(seeded(2), 10)];
  members.forEach((m, i) => {
    m.crc32 = crc32(contents[i]!);
  });
  const plan = planZip(members, { modifiedAt: MODIFIED_AT });
  const all = () => sliceZip(plan, 0, plan.size - 1);

  /** Resolves with how the stream finished: "end", or the error it was destroyed with. */
  interface Outcome {
    ended: boolean;
    bytes: number;
    message?: string;
    code?: unknown;
  }

  function outcome(stream: Readable): Promise<Outcome> {
    return new Promise((resolve) => {
      let bytes = 0;
      let ended = false;
      stream.on("data", (c: Buffer) => {
        bytes += c.length;
      });
      stream.on("end", () => {
        ended = true;
      });
      stream.on("error", () => {});
      stream.on("close", () => {
        const error = stream.errored as (Error & { code?: unknown }) | null;
        resolve({ ended, bytes, message: error?.message, code: error?.code });
      });
    });
  }

  it("fails (never ends) when a member stream errors mid-way", async () => {
    const open: OpenMember = async (index, from, length) => {
      if (index !== 0) return openFrom(contents)(index, from, length);
      return Readable.from(
        (async function* () {
          yield contents[0]!.subarray(0, 20_000);
          throw new Error("blob store went away");
        })(),
      );
    };
    const result = await outcome(streamZip(plan, all(), open));
    expect(result.ended).toBe(false);
    expect(result.message).toBe("blob store went away");
    expect(result.bytes).toBeLessThan(plan.size);
  });

  it("fails when opening a member rejects or throws", async () => {
    const rejecting = await outcome(streamZip(plan, all(), () => Promise.reject(new Error("no such blob"))));
    expect(rejecting).toMatchObject({ ended: false, message: "no such blob" });
    const throwing = await outcome(
      streamZip(plan, all(), () => {
        throw new Error("sync failure");
      }),
    );
    expect(throwing).toMatchObject({ ended: false, message: "sync failure" });
  });

  it("fails when a member is shorter or longer than planned, or has another CRC-32", async () => {
    const short = await outcome(
      streamZip(
        plan,
        all(),
        async (i, from, length) => bufferStream(contents[i]!.subarray(from, from + length - 1)),
        { verifyCrc: false },
      ),
    );
    expect(short).toMatchObject({
      ended: false,
      code: "integrity_failed",
      message: expect.stringMatching(/early/),
    });
    const long = await outcome(
      streamZip(plan, all(), async (i, from, length) =>
        bufferStream(Buffer.concat([contents[i]!.subarray(from, from + length), Buffer.from("x")])),
      ),
    );
    expect(long).toMatchObject({
      ended: false,
      code: "integrity_failed",
      message: expect.stringMatching(/longer/),
    });
    const corrupt = Buffer.from(contents[0]!);
    corrupt[123] = (corrupt[123]! + 1) & 0xff;
    const badCrc = await outcome(streamZip(plan, all(), openFrom([corrupt, contents[1]!])));
    expect(badCrc).toMatchObject({
      ended: false,
      code: "integrity_failed",
      message: expect.stringMatching(/CRC/),
    });
    const unchecked = await outcome(
      streamZip(plan, all(), openFrom([corrupt, contents[1]!]), { verifyCrc: false }),
    );
    expect(unchecked).toMatchObject({ ended: true, bytes: plan.size });
  });

  it("opens members lazily and applies backpressure to them", async () => {
    const big = randomBytes(seeded(3), 1 << 20);
    const bigPlan = planZip([{ name: "big.bin", size: big.length, crc32: crc32(big) }], {
      modifiedAt: MODIFIED_AT,
    });
    let opened = 0;
    let produced = 0;
    const open: OpenMember = async (_i, from, length) => {
      opened++;
      let pos = from;
      return new Readable({
        highWaterMark: 16 * 1024,
        read() {
          const n = Math.min(16 * 1024, from + length - pos);
          produced += n;
          this.push(n === 0 ? null : big.subarray(pos, pos + n));
          pos += n;
        },
      });
    };
    const out = streamZip(bigPlan, sliceZip(bigPlan, 0, bigPlan.size - 1), open, {
      highWaterMark: 16 * 1024,
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(opened).toBe(0);
    const iterator = out[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((r) => setTimeout(r, 50));
    expect(opened).toBe(1);
    expect(produced).toBeLessThan(256 * 1024);
    const rest = await collect(Readable.from(iterator as AsyncIterableIterator<Buffer>));
    expect(produced).toBe(big.length);
    expect(rest.length).toBeGreaterThan(big.length - 64 * 1024);
  });

  it("destroys the open member stream when the output is destroyed", async () => {
    let member: Readable | undefined;
    const open: OpenMember = async () => {
      member = new Readable({ read() {} });
      member.push(Buffer.alloc(1000));
      return member;
    };
    const out = streamZip(plan, all(), open);
    out.on("error", () => {});
    out.resume();
    await new Promise((r) => setTimeout(r, 20));
    expect(member).toBeDefined();
    out.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(member!.destroyed).toBe(true);
  });

  it("rejects pieces outside their member", () => {
    expect(() =>
      streamZip(plan, [{ kind: "member", index: 1, from: 5, length: 6 }], openFrom(contents)),
    ).toThrow(RangeError);
    expect(() =>
      streamZip(plan, [{ kind: "member", index: 9, from: 0, length: 1 }], openFrom(contents)),
    ).toThrow(RangeError);
  });
});
