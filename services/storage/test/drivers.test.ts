import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { ErrorCode } from "@latchflow/runtime";
import { startS3rver } from "@latchflow/testing";
import { describe, expect, it } from "vitest";
import { createFsDriver } from "../src/drivers/fs-driver.js";
import { createS3Driver } from "../src/drivers/s3-driver.js";
import { driverConformance } from "./driver-conformance.js";

driverConformance("fs", async () => {
  const root = mkdtempSync(join(tmpdir(), "lf-fs-driver-"));
  const tmp = join(root, ".tmp");
  return {
    driver: createFsDriver(root),
    leftovers: async () => {
      try {
        return readdirSync(tmp);
      } catch {
        return [];
      }
    },
    age: async (ms) => {
      mkdirSync(tmp, { recursive: true });
      const stale = join(tmp, "stale-upload");
      writeFileSync(stale, "partial");
      const t = (Date.now() - 2 * 60_000 - ms) / 1000;
      utimesSync(stale, t, t);
    },
    stop: async () => rmSync(root, { recursive: true, force: true }),
  };
});

driverConformance("s3 (s3rver)", async () => {
  const s3 = await startS3rver("conformance");
  const options = {
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    prefix: "",
    accessKeyId: s3.accessKeyId,
    secretAccessKey: { reveal: () => s3.secretAccessKey } as never,
  };
  const driver = createS3Driver(options);
  const client = new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  return {
    driver,
    leftovers: async () => {
      try {
        const r = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket }));
        return (r.Uploads ?? []).map((u) => u.Key ?? "");
      } catch {
        // s3rver keeps multipart parts outside the bucket listing; an aborted upload leaves no object
        return [];
      }
    },
    stop: async () => {
      client.destroy();
      await driver.close();
      await s3.stop();
    },
  };
});

describe("s3 driver with a key prefix", () => {
  it("keeps every object under the prefix and lists keys without it", async () => {
    const s3 = await startS3rver("prefixed");
    const driver = createS3Driver({
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: s3.bucket,
      prefix: "lf/",
      accessKeyId: s3.accessKeyId,
      secretAccessKey: undefined,
    });
    try {
      const { Readable } = await import("node:stream");
      await driver.put("default/x", Readable.from([Buffer.from("hello")]));
      const listed = [];
      for await (const o of driver.list("")) listed.push(o.key);
      expect(listed).toEqual(["default/x"]);
      expect(readdirSync(join(s3.dir, s3.bucket))).toEqual(["lf"]);
    } finally {
      await driver.close();
      await s3.stop();
    }
  });
});

describe("fs driver with releaseWritten (ADR 064)", () => {
  it("frees each buffer once written, stores every byte, and a body failing midway leaves nothing", async () => {
    const root = mkdtempSync(join(tmpdir(), "lf-fs-release-"));
    try {
      const driver = createFsDriver(root);
      const data = randomBytes(3 * 1024 * 1024 + 11);
      const pieces: Buffer[] = [];
      for (let at = 0; at < data.length; at += 70_000) {
        const piece = Buffer.allocUnsafeSlow(Math.min(70_000, data.length - at));
        data.copy(piece, 0, at);
        pieces.push(piece);
      }
      expect(await driver.put("t/a", Readable.from(pieces), { releaseWritten: true })).toEqual({
        size: data.length,
      });
      expect(pieces.every((p) => p.length === 0)).toBe(true);
      expect((await buffer(await driver.read("t/a"))).equals(data)).toBe(true);

      const broken = new PassThrough();
      const put = driver.put("t/b", broken, { releaseWritten: true });
      broken.write(randomBytes(2 * 1024 * 1024));
      setTimeout(() => broken.destroy(new Error("cut off")), 20);
      await expect(put).rejects.toThrow();
      expect(await driver.stat("t/b")).toBeUndefined();
      expect(readdirSync(join(root, ".tmp"))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("fs driver positional reads", () => {
  it("reads at positions into the caller's buffer, 0 at the end; a missing object is not_found", async () => {
    const root = mkdtempSync(join(tmpdir(), "lf-fs-positional-"));
    try {
      const driver = createFsDriver(root);
      const data = randomBytes(100_000);
      await driver.put("t1/object", Readable.from([data]));
      const source = await driver.openPositional?.("t1/object");
      if (!source) throw new Error("the fs driver reads at positions");
      const into = Buffer.alloc(40_000);
      expect(await source.read(into, 30_000, 65_000)).toBe(30_000);
      expect(into.subarray(0, 30_000).equals(data.subarray(65_000, 95_000))).toBe(true);
      expect(await source.read(into, 40_000, 90_000)).toBe(10_000);
      expect(into.subarray(0, 10_000).equals(data.subarray(90_000))).toBe(true);
      expect(await source.read(into, 10, 100_000)).toBe(0);
      await source.close();
      await expect(driver.openPositional?.("t1/missing")).rejects.toMatchObject({ code: ErrorCode.NotFound });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
