import type { Readable } from "node:stream";
import { createEvent } from "@latchflow/bus";
import {
  actorOf,
  badRequest,
  ErrorCode,
  isLatchflowError,
  LatchflowError,
  type Logger,
  newId,
  notFound,
  type RequestContext,
} from "@latchflow/runtime";
import { type Database, insertEvents, type OutboxRelay } from "@latchflow/runtime/db";
import { raw, UniqueConstraintViolationException } from "@mikro-orm/core";
import { Blob } from "./blob-entity.js";
import { CHUNK_SIZE, type ChunkKey, integrityFailed, newChunkKey } from "./crypto/chunk-cipher.js";
import { unwrapDek, wrapDek } from "./crypto/key-wrap.js";
import type { Keyring } from "./crypto/keyring.js";
import type { BlobDriver } from "./drivers/blob-driver.js";
import { createKeyMaintenance, kekFor } from "./key-maintenance.js";
import { openPlaintextRange } from "./plaintext-range.js";
import { sealStream } from "./seal-stream.js";

/** What callers learn about a blob. */
export interface BlobInfo {
  id: string;
  sha256: string;
  size: number;
  /** CRC-32 (IEEE) of the plaintext */
  crc32: number;
  refcount: number;
  createdAt: Date;
  /** the put found identical content and added a reference to it */
  deduplicated: boolean;
}

export interface BlobStoreDeps {
  db: Database;
  driver: BlobDriver;
  keyring: Keyring;
  logger: Logger;
  /** publishes the outbox after a commit (absent in offline tools such as `latchflow keys rotate`) */
  relay?: OutboxRelay;
}

function toInfo(row: Blob, deduplicated = false): BlobInfo {
  return {
    id: row.id,
    sha256: row.sha256,
    size: Number(row.size),
    crc32: Number(row.crc32),
    refcount: row.refcount,
    createdAt: row.createdAt,
    deduplicated,
  };
}

/**
 * The storage domain: encrypted, deduplicated, reference-counted blobs per tenant. Transport-free (the gRPC
 * API and the CLI both use it); every state change commits with its event through the outbox.
 */
export function createBlobStore(deps: BlobStoreDeps) {
  const { db, driver, keyring } = deps;
  const logger = deps.logger.child({ component: "blob-store" });
  const keys = createKeyMaintenance({ db, keyring, logger });

  function chunkKeyOf(row: Blob): ChunkKey {
    return {
      dek: unwrapDek(kekFor(keyring, row), row.id, Buffer.from(row.wrappedDek, "base64")),
      noncePrefix: Buffer.from(row.noncePrefix, "hex"),
      chunkSize: row.chunkSize,
    };
  }

  async function findOwn(ctx: RequestContext, id: string): Promise<Blob> {
    const row = id ? await db.em().findOne(Blob, { id, tenant: ctx.tenant }) : null;
    if (!row) throw notFound("Blob not found", { blobId: id });
    return row;
  }

  /** Adds one reference to the tenant's blob with this content, if there is one. */
  async function addRefByHash(ctx: RequestContext, sha256: string): Promise<Blob | undefined> {
    const em = db.em();
    const n = await em.nativeUpdate(Blob, { tenant: ctx.tenant, sha256 }, { refcount: raw("refcount + 1") });
    if (n === 0) return undefined;
    return (await em.findOne(Blob, { tenant: ctx.tenant, sha256 })) ?? undefined;
  }

  return {
    /**
     * Streams plaintext in: hashes, encrypts in chunks and stores it under a new key; then either records a
     * new blob or, when the tenant already has this content, adds a reference and deletes the new object.
     * Fails (storing nothing) when `source` fails, passes `limitBytes` (> 0) or differs from `expectedSize`.
     * A stream `source` is piped (its pieces are sealed as they were read) and never destroyed here: after a
     * refusal the caller drains it. `releaseSource`: nothing else references the source's pieces, so each is
     * freed once sealed (ADR 064).
     */
    async put(
      ctx: RequestContext,
      source: AsyncIterable<Buffer>,
      options: { expectedSize?: number; limitBytes?: number; releaseSource?: boolean } = {},
    ): Promise<BlobInfo> {
      const id = newId();
      const driverKey = `${ctx.tenant}/${id}`;
      const chunkKey = newChunkKey(CHUNK_SIZE);
      const sealed = sealStream(source, chunkKey, options);
      try {
        // the sealer's outputs are referenced by nothing but its stream: freed once written (ADR 064)
        await driver.put(driverKey, sealed.stream, { releaseWritten: true });
      } catch (err) {
        await driver.delete(driverKey).catch(() => {});
        throw sealed.failure() ?? err;
      }
      const digest = sealed.digest();
      if (!digest) {
        await driver.delete(driverKey).catch(() => {});
        throw new LatchflowError(ErrorCode.Internal, "The upload ended without its digest");
      }
      const { sha256, crc32, size } = digest;
      try {
        return await recordPut(ctx, {
          id,
          driverKey,
          chunkKey,
          sha256,
          size,
          crc32,
        });
      } catch (err) {
        await driver.delete(driverKey).catch(() => {});
        throw err;
      }
    },

    /**
     * Streams the plaintext of [offset, offset + length) (clipped to the end). Each chunk is authenticated
     * before any of its bytes leave; a tampered or truncated object fails the stream with IntegrityFailed.
     */
    async get(
      ctx: RequestContext,
      id: string,
      range: { offset?: number; length?: number } = {},
    ): Promise<{ info: BlobInfo; start: number; end: number; stream: Readable }> {
      const row = await findOwn(ctx, id);
      const size = Number(row.size);
      const start = range.offset ?? 0;
      if (!Number.isSafeInteger(start) || start < 0 || start > size) {
        throw badRequest("offset is past the end of the blob", { blobId: id, size });
      }
      const end = range.length === undefined ? size : Math.min(size, start + range.length);
      let stream: Readable;
      try {
        stream = await openPlaintextRange(driver, row.driverKey, chunkKeyOf(row), { size, start, end });
      } catch (err) {
        if (isLatchflowError(err) && err.code === ErrorCode.NotFound) {
          throw integrityFailed("Stored blob content is missing", { blobId: id });
        }
        throw err;
      }
      return { info: toInfo(row), start, end, stream };
    },

    async stat(ctx: RequestContext, id: string): Promise<BlobInfo> {
      return toInfo(await findOwn(ctx, id));
    },

    /** One more reference to an existing blob. */
    async addRef(ctx: RequestContext, id: string): Promise<BlobInfo> {
      const em = db.em();
      const n = id
        ? await em.nativeUpdate(
            Blob,
            { id, tenant: ctx.tenant, refcount: { $gt: 0 } },
            { refcount: raw("refcount + 1") },
          )
        : 0;
      if (n === 0) throw notFound("Blob not found", { blobId: id });
      return toInfo(await findOwn(ctx, id));
    },

    /** Drops one reference; the last one deletes the row (with its event) and then the object. */
    async delete(ctx: RequestContext, id: string): Promise<{ freed: boolean; refcount: number }> {
      const outcome = await db.em().transactional(async (tx) => {
        const n = id
          ? await tx.nativeUpdate(
              Blob,
              { id, tenant: ctx.tenant, refcount: { $gt: 0 } },
              { refcount: raw("refcount - 1") },
            )
          : 0;
        if (n === 0) throw notFound("Blob not found", { blobId: id });
        const row = await tx.findOneOrFail(Blob, { id }, { refresh: true });
        if (row.refcount > 0) return { freed: undefined, refcount: row.refcount };
        // still 0 inside this transaction: the row is ours to delete
        const deleted = await tx.nativeDelete(Blob, { id, refcount: 0 });
        if (deleted === 0) return { freed: undefined, refcount: 0 };
        const now = new Date();
        await insertEvents(tx, [
          createEvent({
            type: "storage.blob.deleted",
            tenant: ctx.tenant,
            actor: actorOf(ctx),
            subjectIds: { blobId: id },
            requestId: ctx.requestId,
            data: { blobId: id, size: Number(row.size) },
            occurredAt: now,
          }),
        ]);
        return { freed: row.driverKey, refcount: 0 };
      });
      if (outcome.freed === undefined) return { freed: false, refcount: outcome.refcount };
      deps.relay?.nudge();
      try {
        await driver.delete(outcome.freed);
      } catch (err) {
        // the row is gone; the orphan sweep at the next start removes the object
        logger.warn({ err, blobId: id }, "could not delete a freed object");
      }
      return { freed: true, refcount: 0 };
    },

    /** How many blobs each master key wraps. */
    keyUsage: keys.keyUsage,
    rewrapKeys: keys.rewrapKeys,

    /**
     * Deletes what interrupted work left behind, older than `graceMs`: temp data of unfinished puts, and
     * objects no blob row points to (a crash between storing and recording, or between unrecording and
     * deleting).
     */
    async sweepOrphans(graceMs: number): Promise<{ incomplete: number; orphans: number }> {
      const incomplete = await driver.removeIncomplete(graceMs);
      let orphans = 0;
      for await (const object of driver.list("")) {
        if (Date.now() - object.modifiedAt.getTime() < graceMs) continue;
        const row = await db.em().findOne(Blob, { driverKey: object.key }, { fields: ["id"] });
        if (row) continue;
        await driver.delete(object.key);
        orphans++;
      }
      if (incomplete + orphans > 0)
        logger.info({ incomplete, orphans }, "removed leftovers of interrupted work");
      return { incomplete, orphans };
    },
  };

  /** Records a stored object as a new blob, or folds it into the tenant's blob with the same content. */
  async function recordPut(
    ctx: RequestContext,
    put: { id: string; driverKey: string; chunkKey: ChunkKey; sha256: string; size: number; crc32: number },
  ): Promise<BlobInfo> {
    const kek = keyring.current;
    const wrappedDek = wrapDek(kek, put.id, put.chunkKey.dek).toString("base64");
    for (let attempt = 0; ; attempt++) {
      const existing = await addRefByHash(ctx, put.sha256);
      if (existing) {
        await driver.delete(put.driverKey);
        return toInfo(existing, true);
      }
      try {
        const now = new Date();
        const row = await db.em().transactional(async (tx) => {
          const created = tx.create(Blob, {
            id: put.id,
            tenant: ctx.tenant,
            sha256: put.sha256,
            size: put.size,
            crc32: put.crc32,
            chunkSize: put.chunkKey.chunkSize,
            wrappedDek,
            keyId: kek.id,
            noncePrefix: put.chunkKey.noncePrefix.toString("hex"),
            driverKey: put.driverKey,
            refcount: 1,
            createdAt: now,
          });
          await insertEvents(tx, [
            createEvent({
              type: "storage.blob.created",
              tenant: ctx.tenant,
              actor: actorOf(ctx),
              subjectIds: { blobId: put.id },
              requestId: ctx.requestId,
              data: { blobId: put.id, size: put.size },
              occurredAt: now,
            }),
          ]);
          return created;
        });
        deps.relay?.nudge();
        return toInfo(row);
      } catch (err) {
        // an identical upload committed first: add a reference to it instead
        if (err instanceof UniqueConstraintViolationException && attempt < 5) continue;
        throw err;
      }
    }
  }
}

export type BlobStore = ReturnType<typeof createBlobStore>;
