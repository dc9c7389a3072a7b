import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import type { storageV1 } from "@latchflow/proto/storage";
import {
  type CallerKind,
  ErrorCode,
  LatchflowError,
  type LocalBytePlane,
  type Logger,
  type RequestContext,
  registerLocalBytePlane,
  sendReleasing,
  toLatchflowError,
  unauthenticated,
} from "@latchflow/runtime";
import type { BlobStore } from "../blob-store.js";
import { type Capabilities, CapabilityRefused, type Claims } from "./capability.js";

export const BLOB_PATH = "/v1/blobs";

/**
 * The byte plane (ADR 036): plain HTTP/1.1 for blob bytes, next to the gRPC API. Who may call: anyone holding
 * a capability minted by OpenBlobRead / OpenBlobWrite (the gateway, in practice) — the token alone decides;
 * without a valid, unexpired token for exactly this blob (or this upload) the answer is 401/403 and nothing is
 * read or stored.
 * - `GET /v1/blobs/{id}`: 200 with the plaintext of the token's range, each chunk authenticated before any of
 *   its bytes leave; an integrity failure mid-stream destroys the response (a broken transfer, never a
 *   complete-looking body with bad bytes).
 * - `PUT /v1/blobs`: the plaintext as the body, hashed, encrypted and written as it arrives; 201 with the
 *   BlobInfo as JSON. Write tokens are single use.
 */
export function createBytePlane(deps: { store: BlobStore; capabilities: Capabilities; logger: Logger }): {
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
} {
  const { store, capabilities, logger } = deps;
  /** write tokens already used, until they expire */
  const usedWrites = new Map<string, number>();

  function contextOf(claims: Claims): RequestContext {
    const actor = claims.actor;
    return {
      requestId: claims.requestId,
      tenant: claims.tenant,
      ...(actor
        ? {
            caller: {
              kind: actor.kind as CallerKind,
              id: actor.id,
              ...(actor.userId ? { userId: actor.userId } : {}),
            },
          }
        : {}),
    };
  }

  function fail(res: ServerResponse, err: unknown, requestId = ""): void {
    const e = toLatchflowError(refusal(err));
    if (e.code === ErrorCode.Internal) logger.error({ err, requestId }, "byte plane request failed");
    if (res.headersSent) {
      res.destroy(e);
      return;
    }
    const body = JSON.stringify({
      error: { code: e.code, message: e.message, requestId, ...(e.details ? { details: e.details } : {}) },
    });
    res.writeHead(e.httpStatus, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  }

  function bearer(req: IncomingMessage): string | undefined {
    const h = req.headers.authorization;
    return h?.startsWith("Bearer ") ? h.slice(7) : undefined;
  }

  /** Checks a read capability for `blobId` and opens its plaintext range (HTTP and in-process alike). */
  async function openRead(token: string | undefined, blobId: string) {
    const claims = capabilities.verify(token, "read");
    if (claims.blobId !== blobId) {
      throw new LatchflowError(ErrorCode.PermissionDenied, "The capability is for another blob");
    }
    return store.get(contextOf(claims), blobId, { offset: claims.offset, length: claims.length });
  }

  async function read(req: IncomingMessage, res: ServerResponse, blobId: string): Promise<void> {
    const { stream, start, end } = await openRead(bearer(req), blobId);
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": String(end - start),
      "x-blob-offset": String(start),
    });
    if (req.method === "HEAD") {
      stream.destroy();
      res.end();
      return;
    }
    // the answer starts now: a chunk failing later breaks a 200 transfer (never looks like a refusal); each
    // plaintext's memory goes back once the socket took it
    res.flushHeaders();
    sendReleasing(stream, res);
  }

  /**
   * Checks a write capability (single use) and stores `source` within its byte limit and expected size (HTTP
   * and in-process alike).
   */
  async function acceptWrite(
    token: string | undefined,
    source: Readable,
    releaseSource: boolean,
  ): Promise<storageV1.BlobInfo> {
    const claims = capabilities.verify(token, "write");
    for (const [jti, exp] of usedWrites) if (exp <= Date.now()) usedWrites.delete(jti);
    if (usedWrites.has(claims.jti)) throw unauthenticated("The upload capability was already used");
    usedWrites.set(claims.jti, claims.exp);
    const { id, ...info } = await store.put(contextOf(claims), source, {
      limitBytes: claims.limitBytes,
      ...(claims.expectedSize === undefined ? {} : { expectedSize: claims.expectedSize }),
      releaseSource,
    });
    return { blobId: id, ...info };
  }

  async function write(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // the request itself is the body: piped into the sealer piece by piece (ADR 060); a refusal leaves it
    // unread, and the handler's catch drains it so the answer still reaches the client; its pieces (node:http's
    // copies of the socket's bytes) are referenced by nothing else: freed once sealed (ADR 064)
    const info = await acceptWrite(bearer(req), req, true);
    const json = JSON.stringify({ ...info, createdAt: info.createdAt?.toISOString() });
    res.writeHead(201, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
    res.end(json);
  }

  function blobIdOf(path: string): string | undefined {
    return path.startsWith(`${BLOB_PATH}/`)
      ? decodeURIComponent(path.slice(BLOB_PATH.length + 1))
      : undefined;
  }

  /** A capability refusal as the error the HTTP answer carries (401 with details.reason). */
  function refusal(err: unknown): unknown {
    return err instanceof CapabilityRefused
      ? new LatchflowError(ErrorCode.Unauthenticated, "A valid byte-plane capability is required", {
          details: { reason: err.reason },
        })
      : err;
  }

  /**
   * The in-process door (ADR 045 reads, ADR 052 writes): the same capability checks and streams as
   * `GET /v1/blobs/{id}` and `PUT /v1/blobs`.
   */
  const local: LocalBytePlane = {
    async openRead(token, path) {
      const blobId = blobIdOf(path);
      if (blobId === undefined) throw new LatchflowError(ErrorCode.NotFound, "No such byte-plane route");
      try {
        const { stream, start, end } = await openRead(token, blobId);
        return { stream, length: end - start };
      } catch (err) {
        throw refusal(err);
      }
    },
    async write(token, path, body, options) {
      if (path !== BLOB_PATH) throw new LatchflowError(ErrorCode.NotFound, "No such byte-plane route");
      try {
        return await acceptWrite(token, body, options?.releaseBody ?? false);
      } catch (err) {
        throw refusal(err);
      }
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://storage");
    const path = url.pathname;
    const blobId = blobIdOf(path);
    if ((req.method === "GET" || req.method === "HEAD") && blobId !== undefined)
      return read(req, res, blobId);
    if (req.method === "PUT" && path === BLOB_PATH) return write(req, res);
    throw new LatchflowError(ErrorCode.NotFound, "No such byte-plane route");
  }

  let server: Server | undefined;
  let unregister: (() => void) | undefined;
  return {
    listen(host, port) {
      server = createServer({ highWaterMark: 1024 * 1024 }, (req, res) => {
        handle(req, res).catch((err: unknown) => {
          // an unread request body must not stall the socket
          req.resume();
          fail(res, err);
        });
      });
      server.keepAliveTimeout = 5_000;
      const s = server;
      return new Promise((resolve, reject) => {
        s.once("error", reject);
        s.listen(port, host, () => {
          const bound = (s.address() as AddressInfo).port;
          unregister = registerLocalBytePlane(host, bound, local);
          resolve(bound);
        });
      });
    },
    close() {
      unregister?.();
      const s = server;
      if (!s) return Promise.resolve();
      s.closeAllConnections();
      return new Promise((resolve) => s.close(() => resolve()));
    },
  };
}
