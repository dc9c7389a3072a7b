import type { Readable } from "node:stream";
import type { PositionalSource } from "../crypto/chunk-reader.js";

/** One stored object, as listed by a driver. */
export interface ObjectInfo {
  key: string;
  size: number;
  modifiedAt: Date;
}

/** A byte range [start, end) of a stored object. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where the encrypted objects live. Drivers move opaque bytes: they know nothing of encryption, tenants or
 * refcounts. Keys are relative paths of `[A-Za-z0-9._-]` segments separated by `/` (no `.` or `..`).
 * Every implementation passes `test/driver-conformance.ts`.
 */
export interface BlobDriver {
  readonly kind: "fs" | "s3";
  /**
   * Stores the whole stream under `key` (replacing any object there). The object becomes visible only once
   * complete and durable; a failing or destroyed `body` rejects and leaves nothing behind. With
   * `releaseWritten` (the caller's promise that nothing else references `body`'s buffers) a driver may free
   * each buffer once it is written (ADR 064).
   */
  put(key: string, body: Readable, options?: { releaseWritten?: boolean }): Promise<{ size: number }>;
  /**
   * Streams the object, or the bytes [start, end) of it. A range reaching past the end is clipped (a start at
   * or past the end gives an empty stream), so a short object shows up as fewer bytes, not as an error.
   * Rejects with `not_found` when there is no object under `key`.
   */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Opens the object for reads at positions into the caller's buffers (drivers of local files offer it: storage
   * then decrypts from one reused buffer, ADR 066). Rejects with `not_found` when there is no object under `key`.
   */
  openPositional?(key: string): Promise<PositionalSource>;
  /** Deletes the object; deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** Size of the object, or undefined when there is none. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Every object whose key starts with `prefix` (for orphan sweeps); order unspecified. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes leftovers of interrupted puts (temp files, unfinished multipart uploads) older than `olderThanMs`. */
  removeIncomplete(olderThanMs: number): Promise<number>;
  close(): Promise<void>;
}

const KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Throws unless `key` is a safe relative object key. */
export function checkKey(key: string): string {
  if (!KEY.test(key) || key.split("/").some((s) => s === "." || s === "..") || key.length > 512) {
    throw new RangeError(`invalid object key ${JSON.stringify(key)}`);
  }
  return key;
}
