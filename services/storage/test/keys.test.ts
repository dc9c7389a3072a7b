import { ErrorCode } from "@latchflow/runtime";
import { TEST_DIALECTS } from "@latchflow/runtime/testing";
import { afterAll, describe, expect, inject, it } from "vitest";
import { Blob } from "../src/blob-entity.js";
import { kekFromBytes } from "../src/crypto/key-wrap.js";
import { generateMasterKey } from "../src/crypto/keyring.js";
import { pruneKeys, rotateKeys } from "../src/keys-admin.js";
import {
  type Backend,
  createBackend,
  getBlob,
  getBlobCollecting,
  logger,
  putBlob,
  randomBytes,
  readObject,
  startStorage,
} from "./harness.js";

const idOf = (base64: string) => kekFromBytes(Buffer.from(base64, "base64")).id;
const c = { requestId: "t", tenant: "default" };

describe.each(TEST_DIALECTS)("master key rotation on %s", (dialect) => {
  const backends: Backend[] = [];
  const backend = async (env: Record<string, string>) => {
    const b = await createBackend(dialect, "fs", inject("pgUrl"), env);
    backends.push(b);
    return b;
  };
  afterAll(async () => {
    for (const b of backends) await b.cleanup();
  });

  it("re-wraps every data key under the new key without rewriting content; then the old key can go", async () => {
    const keyA = generateMasterKey();
    const keyB = generateMasterKey();
    const b = await backend({ LATCHFLOW_MASTER_KEY: keyA });
    const contents = [randomBytes(0), randomBytes(1000), randomBytes(200_000)];
    let s = await startStorage(b.tc);
    const ids = [];
    for (const data of contents) ids.push((await putBlob(s.client, data)).blobId);
    await s.stop();
    const db = await b.db();
    const objectsBefore = await Promise.all(
      (await db.em().find(Blob, {}, { orderBy: { id: "asc" } })).map((r) =>
        readObject(b.driver, r.driverKey),
      ),
    );

    // the new key is current, the old one still decrypts
    s = await startStorage(b.withEnv({ LATCHFLOW_MASTER_KEY: keyB, LATCHFLOW_MASTER_KEYS_OLD: keyA }));
    for (const [i, id] of ids.entries())
      expect((await getBlob(s.client, id)).equals(contents[i]!)).toBe(true);
    const fresh = randomBytes(5000);
    ids.push((await putBlob(s.client, fresh)).blobId);
    contents.push(fresh);

    const first = await s.client.rewrapKeys({ limit: 2 }, c);
    expect(first).toMatchObject({ currentKeyId: idOf(keyB), rewrapped: 2, remaining: 1 });
    const second = await s.client.rewrapKeys({}, c);
    expect(second).toMatchObject({ rewrapped: 1, remaining: 0 });
    expect(second.keys).toEqual(
      expect.arrayContaining([
        { keyId: idOf(keyB), blobs: 4, available: true },
        { keyId: idOf(keyA), blobs: 0, available: true },
      ]),
    );
    expect(await s.client.rewrapKeys({}, c)).toMatchObject({ rewrapped: 0, remaining: 0 });
    await s.stop();

    // content untouched: the same sealed bytes
    const rowsAfter = await db
      .em()
      .fork()
      .find(Blob, {}, { orderBy: { id: "asc" } });
    expect(rowsAfter.every((r) => r.keyId === idOf(keyB))).toBe(true);
    for (const [i, r] of rowsAfter.slice(0, 3).entries()) {
      expect((await readObject(b.driver, r.driverKey)).equals(objectsBefore[i]!)).toBe(true);
    }

    // the old key removed: everything still decrypts
    s = await startStorage(b.withEnv({ LATCHFLOW_MASTER_KEY: keyB }));
    try {
      for (const [i, id] of ids.entries())
        expect((await getBlob(s.client, id)).equals(contents[i]!)).toBe(true);
    } finally {
      await s.stop();
    }
  });

  it("without rotation, removing the old key fails reads clearly (naming the key id), and nothing else", async () => {
    const keyA = generateMasterKey();
    const b = await backend({ LATCHFLOW_MASTER_KEY: keyA });
    let s = await startStorage(b.tc);
    const data = randomBytes(70_000);
    const { blobId } = await putBlob(s.client, data);
    await s.stop();

    s = await startStorage(b.withEnv({ LATCHFLOW_MASTER_KEY: generateMasterKey() }));
    try {
      const r = await getBlobCollecting(s.client, blobId);
      expect(r.data.length).toBe(0);
      expect(r.error).toMatchObject({ code: ErrorCode.Unavailable, details: { blobId, keyId: idOf(keyA) } });
      expect(r.error?.message).toContain(`master key ${idOf(keyA)}, which is not configured`);
      expect(r.error?.message).toContain("LATCHFLOW_MASTER_KEYS_OLD");
      expect(await s.client.statBlob({ blobId }, c)).toMatchObject({ size: data.length });
      const rewrap = await s.client.rewrapKeys({}, c);
      expect(rewrap).toMatchObject({ rewrapped: 0, remaining: 1 });
      expect(rewrap.keys).toContainEqual({ keyId: idOf(keyA), blobs: 1, available: false });
    } finally {
      await s.stop();
    }
  });

  it("embedded key file: rotate generates a new key file, retires the old one, re-wraps; prune removes it", async () => {
    const b = await backend({ LATCHFLOW_MASTER_KEY: "" });
    let s = await startStorage(b.tc);
    const data = randomBytes(100_000);
    const { blobId } = await putBlob(s.client, data);
    await s.stop();

    const rotated = await rotateKeys(b.tc.config, logger);
    expect(rotated).toMatchObject({ source: "file", rewrapped: 1, remaining: 0, failed: 0 });
    expect(rotated.retiredKeyId).toMatch(/^[0-9a-f]{16}$/);
    expect(rotated.currentKeyId).not.toBe(rotated.retiredKeyId);

    s = await startStorage(b.tc);
    expect((await getBlob(s.client, blobId)).equals(data)).toBe(true);
    await s.stop();

    const pruned = await pruneKeys(b.tc.config, logger);
    expect(pruned.removedKeyIds).toEqual([rotated.retiredKeyId]);
    s = await startStorage(b.tc);
    try {
      expect((await getBlob(s.client, blobId)).equals(data)).toBe(true);
      const usage = await s.client.rewrapKeys({}, c);
      expect(usage.keys).toEqual([{ keyId: rotated.currentKeyId, blobs: 1, available: true }]);
    } finally {
      await s.stop();
    }
  });
});
