import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { settleUnsent } from "./streaming.js";

const MiB = 1024 * 1024;

describe("settleUnsent", () => {
  it("gives back what the response never took, even when the source hands over 1 MiB at a time", async () => {
    const source = new PassThrough({ highWaterMark: MiB });
    const given: number[] = [];
    const body = settleUnsent(source, 4 * MiB, (n) => given.push(n));
    let taken = 0;
    // a slow response: takes one slice, then never asks for more (the client went away)
    const response = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, done) {
        taken += chunk.length;
        if (taken === chunk.length) done();
      },
    });
    body.pipe(response);
    source.write(Buffer.alloc(MiB));
    source.write(Buffer.alloc(MiB));
    await new Promise((r) => setTimeout(r, 20));
    // handed on in 64 KiB slices, not the whole read: one written, the next one being written
    expect(taken).toBe(2 * 64 * 1024);
    body.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(given).toHaveLength(1);
    // sent = only the slices that left this stream for the response
    expect(given[0]).toBe(4 * MiB - 2 * 64 * 1024);
  });

  it("gives nothing back when everything was sent", async () => {
    const source = new PassThrough();
    const given: number[] = [];
    const body = settleUnsent(source, 3, (n) => given.push(n));
    const chunks: Buffer[] = [];
    body.on("data", (c: Buffer) => chunks.push(c));
    source.end(Buffer.from("abc"));
    await new Promise((r) => body.once("close", r));
    expect(Buffer.concat(chunks).toString()).toBe("abc");
    expect(given).toEqual([]);
  });
});
