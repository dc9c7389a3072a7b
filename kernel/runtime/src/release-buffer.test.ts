import { PassThrough, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { releaseBuffer, releasingWrites } from "./release-buffer.js";

/** Node has it; the project's libraries (no DOM) do not declare it. Its memory's buffer cannot be detached. */
declare const WebAssembly: { Memory: new (size: { initial: number }) => { buffer: ArrayBuffer } };

/**
 * A writable that records what it was given (copies) and calls back after a turn of the event loop; like an
 * HTTP request it is not destroyed by its own end (an answer may still come).
 */
function sink(fail?: Error) {
  const got: Buffer[] = [];
  const out = new Writable({
    autoDestroy: false,
    write(chunk: Buffer, _enc, done) {
      got.push(Buffer.from(chunk));
      setImmediate(() => done(fail ?? null));
    },
  });
  return { out, got };
}

describe("releaseBuffer", () => {
  it("frees a buffer that spans its whole ArrayBuffer, and leaves views and pooled buffers alone", () => {
    const own = Buffer.alloc(64 * 1024, 7);
    releaseBuffer(own);
    expect(own.length).toBe(0);
    expect(own.buffer.byteLength).toBe(0);
    releaseBuffer(own); // already released: nothing happens

    const whole = Buffer.alloc(1000, 1);
    const view = whole.subarray(10, 20);
    releaseBuffer(view);
    expect(view.length).toBe(10);
    expect(whole.length).toBe(1000);

    const pooled = Buffer.from("small, from the shared pool");
    const neighbour = Buffer.from("another one");
    releaseBuffer(pooled);
    expect(pooled.toString()).toBe("small, from the shared pool");
    expect(neighbour.toString()).toBe("another one");

    // a buffer that cannot be detached (WebAssembly memory) stays as it is
    const fixed = Buffer.from(new WebAssembly.Memory({ initial: 1 }).buffer);
    fixed[0] = 9;
    releaseBuffer(fixed);
    expect(fixed.length).toBe(64 * 1024);
    expect(fixed[0]).toBe(9);
  });
});

describe("releasingWrites", () => {
  it("hands every buffer on in order and frees each once written, without destroying the target", async () => {
    const { out, got } = sink();
    const pieces = Array.from({ length: 40 }, (_, i) => Buffer.alloc(10_000 + i, i));
    const expected = Buffer.concat(pieces);
    const source = new PassThrough();
    const done = pipeline(source, releasingWrites(out, 64 * 1024));
    for (const p of pieces) source.write(p);
    source.end();
    await done;
    expect(Buffer.concat(got).equals(expected)).toBe(true);
    expect(pieces.every((p) => p.length === 0)).toBe(true);
    expect(out.writableFinished).toBe(true);
    expect(out.destroyed).toBe(false);
  });

  it("fails when the target fails, frees nothing the target did not write, and destroyed early destroys it", async () => {
    const failing = sink(new Error("disk full"));
    const piece = Buffer.alloc(5000, 3);
    await expect(pipeline(passThroughOf([piece]), releasingWrites(failing.out, 1024))).rejects.toThrow(
      "disk full",
    );
    expect(piece.length).toBe(5000);

    const target = sink();
    const writer = releasingWrites(target.out, 1024);
    writer.destroy();
    expect(target.out.destroyed).toBe(true);
  });

  it("a failed pipe settles only once the target has closed (a file still opening is closed before cleanup)", async () => {
    // like a file stream whose open has not returned yet: its destroy waits for the open, then closes
    let closed = false;
    const opening = new Writable({
      construct(done) {
        setTimeout(done, 50);
      },
      write(_chunk, _enc, done) {
        done();
      },
    });
    opening.once("close", () => {
      closed = true;
    });
    const refused = new PassThrough();
    const piped = pipeline(refused, releasingWrites(opening, 1024));
    refused.destroy(new Error("refused"));
    await expect(piped).rejects.toThrow("refused");
    expect(closed).toBe(true);
  });
});

function passThroughOf(pieces: Buffer[]): PassThrough {
  const p = new PassThrough();
  for (const b of pieces) p.write(b);
  p.end();
  return p;
}
