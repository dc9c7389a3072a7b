import { readdirSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { ErrorCode } from "@latchflow/runtime";
import { OutboxMessage } from "@latchflow/runtime/db";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Blob } from "../src/blob-entity.js";
import { CHUNK_SIZE, sealedSize, TAG_LENGTH } from "../src/crypto/chunk-cipher.js";
import {
  BACKENDS,
  type Backend,
  createBackend,
  getBlob,
  getBlobCollecting,
  listObjects,
  putBlob,
  type RunningStorage,
  randomBytes,
  readObject,
  sha256,
  startStorage,
  writeObject,
} from "./harness.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const SEALED_CHUNK = CHUNK_SIZE + TAG_LENGTH;

describe.each(BACKENDS)("storage service on $dialect with the $driver driver", ({ dialect, driver }) => {
  let backend: Backend;
  let storage: RunningStorage;
  const client = () => storage.client;

  beforeAll(async () => {
    backend = await createBackend(dialect, driver, inject("pgUrl"));
    storage = await startStorage(backend.tc);
  });
  afterAll(async () => {
    await storage?.stop();
    await backend?.cleanup();
  });

  const rows = async (where: Record<string, unknown> = {}) => (await backend.db()).em().find(Blob, where);
  const events = async (type: string) =>
    (await (await backend.db()).em().find(OutboxMessage, { type })).map(
      (m) => JSON.parse(m.envelope) as { data: { blobId: string; size: number } },
    );

  it("round-trips sizes around the 64 KiB chunk boundary and a few MiB", async () => {
    for (const size of [0, 1, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 3 * MiB + 5]) {
      const data = randomBytes(size);
      const info = await putBlob(client(), data, { expectedSize: size });
      expect(info).toMatchObject({
        size,
        sha256: sha256(data),
        crc32: crc32(data),
        refcount: 1,
        deduplicated: false,
      });
      expect(info.blobId).toMatch(/^[0-9A-Z]{26}$/);
      expect((await getBlob(client(), info.blobId)).equals(data), `size ${size}`).toBe(true);
      expect(await client().statBlob({ blobId: info.blobId }, { requestId: "t", tenant: "default" })).toEqual(
        info,
      );
      const [row] = await rows({ id: info.blobId });
      const stored = await readObject(backend.driver, row!.driverKey);
      expect(stored.length).toBe(sealedSize(size, CHUNK_SIZE));
      // ciphertext: the plaintext does not appear in the stored object
      if (size >= 64) expect(stored.includes(data.subarray(0, 64))).toBe(false);
    }
  });

  it("serves byte ranges (first byte, last byte, across chunk boundaries, whole) with their offsets", async () => {
    const size = 3 * CHUNK_SIZE + 777;
    const data = randomBytes(size);
    const { blobId } = await putBlob(client(), data);
    const cases: [number | undefined, number | undefined, number, number][] = [
      [0, 1, 0, 1],
      [size - 1, 1, size - 1, size],
      [CHUNK_SIZE - 3, 6, CHUNK_SIZE - 3, CHUNK_SIZE + 3],
      [CHUNK_SIZE - 1, 2 * CHUNK_SIZE + 2, CHUNK_SIZE - 1, 3 * CHUNK_SIZE + 1],
      [undefined, undefined, 0, size],
      [100, undefined, 100, size],
      [size - 10, 1000, size - 10, size],
      [size, undefined, size, size],
    ];
    for (const [offset, length, start, end] of cases) {
      const r = await getBlobCollecting(client(), blobId, {
        ...(offset === undefined ? {} : { offset }),
        ...(length === undefined ? {} : { length }),
      });
      expect(r.error).toBeUndefined();
      expect(r.data.equals(data.subarray(start, end)), `range ${offset}+${length}`).toBe(true);
      expect(r.offsets[0] ?? start).toBe(start);
    }
    await expect(getBlob(client(), blobId, { offset: size + 1 })).rejects.toMatchObject({
      code: ErrorCode.BadRequest,
    });
  });

  it("deduplicates per tenant with a refcount; deleting the last reference frees the object", async () => {
    const data = randomBytes(150 * KiB);
    const before = await listObjects(backend.driver);
    const first = await putBlob(client(), data);
    const second = await putBlob(client(), data);
    expect(second).toMatchObject({ blobId: first.blobId, refcount: 2, deduplicated: true });
    expect((await listObjects(backend.driver)).length).toBe(before.length + 1);
    const c = { requestId: "t", tenant: "default" };
    expect(await client().addBlobRef({ blobId: first.blobId }, c)).toMatchObject({ refcount: 3 });

    // another tenant: its own blob; and it cannot see the first tenant's
    const other = await putBlob(client(), data, { tenant: "other" });
    expect(other.blobId).not.toBe(first.blobId);
    expect(other).toMatchObject({ refcount: 1, deduplicated: false });
    await expect(getBlob(client(), first.blobId, {}, "other")).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    await expect(
      client().deleteBlob({ blobId: first.blobId }, { requestId: "t", tenant: "other" }),
    ).rejects.toMatchObject({ code: ErrorCode.NotFound });

    expect(await client().deleteBlob({ blobId: first.blobId }, c)).toEqual({ freed: false, refcount: 2 });
    expect(await client().deleteBlob({ blobId: first.blobId }, c)).toEqual({ freed: false, refcount: 1 });
    expect((await getBlob(client(), first.blobId)).equals(data)).toBe(true);
    const [row] = await rows({ id: first.blobId });
    expect(await client().deleteBlob({ blobId: first.blobId }, c)).toEqual({ freed: true, refcount: 0 });
    expect(await backend.driver.stat(row!.driverKey)).toBeUndefined();
    await expect(client().statBlob({ blobId: first.blobId }, c)).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    await expect(client().deleteBlob({ blobId: first.blobId }, c)).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    await expect(client().addBlobRef({ blobId: first.blobId }, c)).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    // the same content again is a new blob
    expect(await putBlob(client(), data)).toMatchObject({ refcount: 1, deduplicated: false });

    // events: one created per new content, one deleted when freed; ids and sizes only
    const created = await events("storage.blob.created");
    expect(created.filter((e) => e.data.blobId === first.blobId)).toEqual([
      expect.objectContaining({ data: { blobId: first.blobId, size: data.length } }),
    ]);
    expect((await events("storage.blob.deleted")).map((e) => e.data)).toContainEqual({
      blobId: first.blobId,
      size: data.length,
    });
  });

  it("concurrent identical uploads end with one blob, one object and the right refcount", async () => {
    const data = randomBytes(300 * KiB + 3);
    const before = (await listObjects(backend.driver)).length;
    const results = await Promise.all(Array.from({ length: 6 }, () => putBlob(client(), data)));
    const ids = new Set(results.map((r) => r.blobId));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect((await rows({ sha256: sha256(data), tenant: "default" })).map((r) => r.refcount)).toEqual([6]);
    await waitFor(async () => (await listObjects(backend.driver)).length === before + 1, {
      description: "the duplicates' objects to be deleted",
    });
    const c = { requestId: "t", tenant: "default" };
    const deletes = await Promise.all(
      Array.from({ length: 6 }, () => client().deleteBlob({ blobId: id! }, c)),
    );
    expect(deletes.filter((d) => d.freed)).toHaveLength(1);
    expect(deletes.map((d) => d.refcount).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await listObjects(backend.driver)).length).toBe(before);
  });

  it("a flipped byte, a truncation or swapped chunks fail with integrity_failed, never serving bad plaintext", async () => {
    const data = randomBytes(3 * CHUNK_SIZE + 100);
    const { blobId } = await putBlob(client(), data);
    const [row] = await rows({ id: blobId });
    const key = row!.driverKey;
    const original = await readObject(backend.driver, key);
    const chunk = (i: number) => original.subarray(i * SEALED_CHUNK, (i + 1) * SEALED_CHUNK);

    const expectFailure = async (tampered: Buffer, maxGoodChunks: number) => {
      await writeObject(backend.driver, key, tampered);
      const r = await getBlobCollecting(client(), blobId);
      expect(r.error?.code).toBe(ErrorCode.IntegrityFailed);
      expect(r.data.length).toBeLessThanOrEqual(maxGoodChunks * CHUNK_SIZE);
      expect(r.data.equals(data.subarray(0, r.data.length))).toBe(true);
    };

    const flipped = Buffer.from(original);
    flipped[SEALED_CHUNK + 10]! ^= 0x01;
    await expectFailure(flipped, 1);
    // a range inside an intact chunk still decrypts: only the covering chunks are read
    expect((await getBlob(client(), blobId, { offset: 5, length: 100 })).equals(data.subarray(5, 105))).toBe(
      true,
    );
    await expect(getBlob(client(), blobId, { offset: CHUNK_SIZE, length: 1 })).rejects.toMatchObject({
      code: ErrorCode.IntegrityFailed,
    });

    await expectFailure(original.subarray(0, 3 * SEALED_CHUNK), 3); // last chunk dropped
    await expectFailure(original.subarray(0, original.length - 1), 3); // one byte short
    await expectFailure(Buffer.concat([chunk(1), chunk(0), original.subarray(2 * SEALED_CHUNK)]), 0);
    const tag = Buffer.from(original);
    tag[original.length - 1]! ^= 0x80;
    await expectFailure(tag, 3);

    await writeObject(backend.driver, key, original);
    expect((await getBlob(client(), blobId)).equals(data)).toBe(true);
  });

  it("a cancelled or failed upload leaves no row and no object", async () => {
    const beforeObjects = await listObjects(backend.driver);
    const beforeRows = (await rows()).length;
    const data = randomBytes(4 * MiB);

    await expect(
      putBlob(client(), data, {
        onWrite: (written, cancel) => {
          if (written === 2 * MiB) cancel();
        },
      }),
    ).rejects.toMatchObject({ code: expect.any(String) });
    await expect(putBlob(client(), data, { expectedSize: data.length + 1 })).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
    await expect(putBlob(client(), data, { expectedSize: 10 })).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });

    await waitFor(async () => (await listObjects(backend.driver)).length === beforeObjects.length, {
      timeoutMs: 10_000,
      description: "the aborted uploads' objects to disappear",
    });
    expect(await listObjects(backend.driver)).toEqual(beforeObjects);
    expect((await rows()).length).toBe(beforeRows);
    if (driver === "fs") {
      await waitFor(() => readdirSync(join(backend.tc.config.dataDir, "blobs", ".tmp")).length === 0, {
        description: "no temp files",
      });
    }
  });

  it("rejects a PutBlob stream without a leading header, or with a second one", async () => {
    const c = storage.client.$callOptions({ requestId: "t", tenant: "default" });
    const noHeader = new Promise((resolve) => {
      const call = storage.client.$raw.putBlob(c.metadata, c.options, (err) => resolve(err?.code));
      call.write({ part: { $case: "chunk", chunk: Buffer.from("x") } });
      call.end();
    });
    const twoHeaders = new Promise((resolve) => {
      const call = storage.client.$raw.putBlob(c.metadata, c.options, (err) => resolve(err?.code));
      call.write({ part: { $case: "header", header: {} } });
      call.write({ part: { $case: "header", header: {} } });
      call.end();
    });
    // INVALID_ARGUMENT
    expect(await noHeader).toBe(3);
    expect(await twoHeaders).toBe(3);
  });

  it("at start, removes objects and temp files left by interrupted work, keeping every blob", async () => {
    const data = randomBytes(70 * KiB);
    const { blobId } = await putBlob(client(), data);
    await storage.stop();
    const { Readable } = await import("node:stream");
    await backend.driver.put("default/01ARZ3NDEKTSV4RRFFQ69G5FAV", Readable.from([Buffer.from("orphan")]));
    storage = await startStorage(backend.tc, { orphanGraceMs: 0 });
    expect(await backend.driver.stat("default/01ARZ3NDEKTSV4RRFFQ69G5FAV")).toBeUndefined();
    expect((await getBlob(client(), blobId)).equals(data)).toBe(true);
    const keys = await listObjects(backend.driver);
    const known = new Set((await rows()).map((r) => r.driverKey));
    expect(keys.every((k) => known.has(k))).toBe(true);
  });
});
