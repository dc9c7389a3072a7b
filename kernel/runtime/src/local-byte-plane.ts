import type { Readable } from "node:stream";
import type { storageV1 } from "@latchflow/proto/storage";

/**
 * The storage byte plane's in-process door (ADR 045). When storage runs in the same process as the gateway
 * (embedded mode, or any launcher that puts both in one node), a blob read skips the loopback HTTP hop: the
 * gateway hands the same capability token to the listener registered under the byte plane's `host:port`, and
 * storage checks it exactly as an HTTP `GET /v1/blobs/{id}` (same refusals, same range, same chunk-by-chunk
 * authentication; a chunk that fails breaks the returned stream). A process has at most one listener per
 * `host:port`, so the lookup reaches the very plane the HTTP request would have reached; a miss falls back to
 * HTTP. Uploads take the same door (ADR 052): `write` checks a write capability exactly as `PUT /v1/blobs` does
 * (single use, its byte limit and expected size) and seals the body in one pass as it is iterated.
 */
export interface LocalBytePlane {
  /** `path` as in the capability (`/v1/blobs/{id}`); resolves with the plaintext range or throws the refusal */
  openRead(token: string, path: string): Promise<{ stream: Readable; length: number }>;
  /**
   * `path` as in the capability (`/v1/blobs`); stores `body` (piped: hashed, encrypted and written piece by
   * piece as it arrives, with backpressure) and resolves with its BlobInfo, or throws the refusal. A body that
   * fails or closes before its end stores nothing (`bad_request`); after a refusal `body` is left undestroyed
   * and unread, for the caller to drain. `releaseBody`: the caller's promise that nothing else references
   * `body`'s pieces (an HTTP request's body), so storage frees each once sealed (ADR 064).
   */
  write(
    token: string,
    path: string,
    body: Readable,
    options?: { releaseBody?: boolean },
  ): Promise<storageV1.BlobInfo>;
}

const REGISTRY = Symbol.for("latchflow.storage.localBytePlanes");
type Registry = Map<string, LocalBytePlane>;

function registry(): Registry {
  const g = globalThis as { [REGISTRY]?: Registry };
  g[REGISTRY] ??= new Map();
  return g[REGISTRY];
}

const keyOf = (host: string, port: number) => `${host.toLowerCase()}:${port}`;

/** Registers a listening byte plane; returns the function that removes it (call it when the listener closes). */
export function registerLocalBytePlane(host: string, port: number, plane: LocalBytePlane): () => void {
  const key = keyOf(host, port);
  registry().set(key, plane);
  return () => {
    if (registry().get(key) === plane) registry().delete(key);
  };
}

/** The byte plane listening at `host:port` in this process, if any. */
export function localBytePlane(host: string, port: number): LocalBytePlane | undefined {
  return registry().get(keyOf(host, port));
}
