import { once } from "node:events";
import type { storageV1 } from "@latchflow/proto/storage";
import { actorOf, badRequest, type RequestContext, type ServiceImpl } from "@latchflow/runtime";
import type { BlobInfo, BlobStore } from "./blob-store.js";
import type { Capabilities } from "./byte-plane/capability.js";
import { BLOB_PATH } from "./byte-plane/server.js";
import type { Keyring } from "./crypto/keyring.js";
import { openSecret, sealSecret } from "./crypto/secret-seal.js";

type Definition = typeof storageV1.StorageServiceService;

/** Largest data field of a GetBlob message: small messages keep gRPC buffers (and memory) small. */
const MESSAGE_BYTES = 64 * 1024;

export function toProto(info: BlobInfo): storageV1.BlobInfo {
  return {
    blobId: info.id,
    sha256: info.sha256,
    size: info.size,
    crc32: info.crc32,
    createdAt: info.createdAt,
    refcount: info.refcount,
    deduplicated: info.deduplicated,
  };
}

/** Rejects once the peer cancels or the call closes; resolves on 'drain'. */
function drained(call: NodeJS.EventEmitter & { readonly cancelled: boolean }): Promise<void> {
  if (call.cancelled) return Promise.reject(new Error("cancelled"));
  const ac = new AbortController();
  return Promise.race([
    once(call, "drain", { signal: ac.signal }).then(() => undefined),
    once(call, "cancelled", { signal: ac.signal }).then(() => {
      throw new Error("cancelled");
    }),
  ]).finally(() => ac.abort());
}

/** Plaintext chunks of a PutBlob stream after its header; a second header is a bad request. */
async function* chunksAfterHeader(messages: AsyncIterator<storageV1.PutBlobRequest>): AsyncGenerator<Buffer> {
  for (;;) {
    const next = await messages.next();
    if (next.done) return;
    if (next.value.part?.$case !== "chunk") throw badRequest("Only the first message may be a header");
    if (next.value.part.chunk.length > 0) yield next.value.part.chunk;
  }
}

/** Where the byte plane listens and how its capabilities are minted. */
export interface BytePlaneAccess {
  capabilities: Capabilities;
  port(): number;
}

/** The request context a capability acts for. */
function claimsOf(ctx: RequestContext) {
  const caller = ctx.caller;
  return {
    tenant: ctx.tenant,
    requestId: ctx.requestId,
    ...(caller
      ? { actor: { kind: caller.kind, id: caller.id, ...(caller.userId ? { userId: caller.userId } : {}) } }
      : { actor: actorOf(ctx) }),
  };
}

/** The storage gRPC API: thin handlers over the blob store. */
export function createStorageApi(
  store: BlobStore,
  keyring: Keyring,
  bytePlane: BytePlaneAccess,
): ServiceImpl<Definition> {
  return {
    async putBlob(call, ctx) {
      // a cancelled call must fail the upload, not leave it waiting for messages
      call.once("cancelled", () => call.destroy(new Error("PutBlob cancelled by the client")));
      const messages = call[Symbol.asyncIterator]() as AsyncIterator<storageV1.PutBlobRequest>;
      const first = await messages.next();
      if (first.done || first.value.part?.$case !== "header") {
        throw badRequest("The first PutBlob message must be a header");
      }
      const { expectedSize } = first.value.part.header;
      const info = await store.put(ctx, chunksAfterHeader(messages), {
        ...(expectedSize === undefined ? {} : { expectedSize }),
      });
      return toProto(info);
    },

    async getBlob(call, ctx) {
      const req = call.request;
      const { stream, start } = await store.get(ctx, req.blobId, {
        ...(req.offset === undefined ? {} : { offset: req.offset }),
        ...(req.length === undefined ? {} : { length: req.length }),
      });
      const stop = () => stream.destroy();
      call.once("cancelled", stop);
      let offset = start;
      try {
        for await (const plaintext of stream as AsyncIterable<Buffer>) {
          for (let at = 0; at < plaintext.length && !call.cancelled; at += MESSAGE_BYTES) {
            const data = plaintext.subarray(at, at + MESSAGE_BYTES);
            const ok = call.write({ data, offset });
            offset += data.length;
            if (!ok) await drained(call);
          }
          if (call.cancelled) break;
        }
      } catch (err) {
        if (call.cancelled) return;
        throw err;
      } finally {
        call.off("cancelled", stop);
        stream.destroy();
      }
    },

    statBlob: (req: storageV1.StatBlobRequest, ctx: RequestContext) =>
      store.stat(ctx, req.blobId).then(toProto),

    deleteBlob: (req: storageV1.DeleteBlobRequest, ctx: RequestContext) => store.delete(ctx, req.blobId),

    addBlobRef: (req: storageV1.AddBlobRefRequest, ctx: RequestContext) =>
      store.addRef(ctx, req.blobId).then(toProto),

    async rewrapKeys(req: storageV1.RewrapKeysRequest) {
      const r = await store.rewrapKeys(req.limit ?? 500);
      return { currentKeyId: r.currentKeyId, rewrapped: r.rewrapped, remaining: r.remaining, keys: r.keys };
    },

    async openBlobRead(req: storageV1.OpenBlobReadRequest, ctx: RequestContext) {
      const { size } = await store.stat(ctx, req.blobId);
      const offset = req.offset ?? 0;
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
        throw badRequest("offset is past the end of the blob", { blobId: req.blobId, size });
      }
      const length = req.length === undefined ? size - offset : Math.min(size - offset, req.length);
      const { token, expiresAt } = bytePlane.capabilities.mint({
        op: "read",
        ...claimsOf(ctx),
        blobId: req.blobId,
        offset,
        length,
      });
      const path = `${BLOB_PATH}/${encodeURIComponent(req.blobId)}`;
      return { port: bytePlane.port(), path, token, expiresAt, offset, length };
    },

    async openBlobWrite(req: storageV1.OpenBlobWriteRequest, ctx: RequestContext) {
      const { token, expiresAt } = bytePlane.capabilities.mint({
        op: "write",
        ...claimsOf(ctx),
        ...(req.expectedSize === undefined ? {} : { expectedSize: req.expectedSize }),
        limitBytes: req.limitBytes,
      });
      return { port: bytePlane.port(), path: BLOB_PATH, token, expiresAt, offset: 0, length: 0 };
    },

    sealSecret: async (req: storageV1.SealSecretRequest) => ({
      sealed: sealSecret(keyring, req.context, Buffer.from(req.plaintext)),
    }),

    openSecret: async (req: storageV1.OpenSecretRequest) => ({
      plaintext: openSecret(keyring, req.context, Buffer.from(req.sealed)),
    }),
  };
}
