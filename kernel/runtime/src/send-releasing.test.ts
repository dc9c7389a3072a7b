import { randomBytes } from "node:crypto";
import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { sendReleasing } from "./release-buffer.js";

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** Serves `source` once with `sendReleasing`; answers the body as received (or the transfer's failure). */
async function serve(source: Readable, length: number): Promise<Buffer> {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-length": String(length) });
    sendReleasing(source, res);
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path: "/" }, (res) => {
      const got: Buffer[] = [];
      res.on("data", (c: Buffer) => got.push(c));
      res.once("end", () => resolve(Buffer.concat(got)));
      res.once("aborted", () => reject(new Error("aborted")));
      res.once("error", reject);
    }).once("error", reject);
  });
}

describe("sendReleasing", () => {
  it("sends every buffer in order and gives each one's memory back once written", async () => {
    const pieces = Array.from({ length: 64 }, (_, i) => randomBytes(64 * 1024 - i));
    const expected = Buffer.concat(pieces);
    const got = await serve(Readable.from(pieces), expected.length);
    expect(got.equals(expected)).toBe(true);
    for (const p of pieces) {
      expect(p.buffer.detached).toBe(true);
      expect(p.length).toBe(0);
    }
  });

  it("breaks the transfer when the source fails (never a complete-looking body)", async () => {
    const first = randomBytes(1000);
    async function* failing() {
      yield first;
      await new Promise((r) => setTimeout(r, 10));
      throw new Error("chunk failed");
    }
    await expect(serve(Readable.from(failing()), 5000)).rejects.toThrow();
  });

  it("destroys the source when the response closes early", async () => {
    const source = new Readable({ read() {} });
    source.push(randomBytes(1000));
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-length": "100000" });
      sendReleasing(source, res);
    });
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const req = get({ host: "127.0.0.1", port, path: "/" }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.once("error", () => undefined);
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(source.destroyed).toBe(true);
  });
});
