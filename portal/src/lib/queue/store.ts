/**
 * Where the offline download queue keeps its entries and the bytes already received: one IndexedDB database in
 * this browser (ADR 026). Entries are small records; bytes are kept as chunks of about 1 MiB, keyed by
 * (entry, sequence number), so a transfer that stops keeps what arrived and resumes from there.
 */

/** What the queue holds for one download the person asked for. */
export interface QueueEntry {
  id: string;
  bundleId: string;
  bundleName: string;
  /** the archive's size as the bundle page reported it (the response's own size wins once known) */
  size: number;
  createdAt: string;
  /**
   * waiting: no grant yet (asked for while offline); active: being fetched; paused: stopped by the network and
   * resumed when the connection comes back; done: every byte is here; failed: it cannot go on (see `problem`)
   */
  status: "waiting" | "active" | "paused" | "done" | "failed";
  /** the consumed download: kept so a retry never consumes another */
  grant: { url: string; expiresAt: string } | null;
  /** bytes stored so far, in `chunks` chunks */
  saved: number;
  chunks: number;
  /** the archive's ETag, sent as If-Range when resuming */
  etag: string | null;
  /** the file name the server gave the archive */
  filename: string | null;
  /** why a failed entry stopped: the grant expired or was used up, the server refused (`reason`), signed out */
  problem: {
    kind: "expired" | "exhausted" | "other_session" | "refused" | "signed_out";
    reason?: string;
    at?: string;
  } | null;
}

const DB = "latchflow-downloads";
const ENTRIES = "entries";
const CHUNKS = "chunks";

let opening: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore(ENTRIES, { keyPath: "id" });
      db.createObjectStore(CHUNKS, { keyPath: ["entryId", "seq"] });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opening;
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("aborted"));
  });
}

function result<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

const chunkRange = (entryId: string) => IDBKeyRange.bound([entryId, 0], [entryId, Number.MAX_SAFE_INTEGER]);

export async function listEntries(): Promise<QueueEntry[]> {
  const db = await open();
  const all = await result(db.transaction(ENTRIES).objectStore(ENTRIES).getAll());
  return (all as QueueEntry[]).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function getEntry(id: string): Promise<QueueEntry | undefined> {
  const db = await open();
  return (await result(db.transaction(ENTRIES).objectStore(ENTRIES).get(id))) as QueueEntry | undefined;
}

export async function putEntry(entry: QueueEntry): Promise<void> {
  const db = await open();
  const tx = db.transaction(ENTRIES, "readwrite");
  tx.objectStore(ENTRIES).put(plain(entry));
  await done(tx);
}

/** Appends one chunk and records the entry's new totals in the same transaction (never one without the other). */
export async function appendChunk(entry: QueueEntry, data: Blob): Promise<void> {
  const db = await open();
  const tx = db.transaction([ENTRIES, CHUNKS], "readwrite");
  tx.objectStore(CHUNKS).put({ entryId: entry.id, seq: entry.chunks, data });
  entry.chunks += 1;
  entry.saved += data.size;
  tx.objectStore(ENTRIES).put(plain(entry));
  await done(tx);
}

/** The bytes saved for an entry, in order, as one file. */
export async function readFile(entryId: string, type = "application/zip"): Promise<Blob> {
  const db = await open();
  const rows = (await result(db.transaction(CHUNKS).objectStore(CHUNKS).getAll(chunkRange(entryId)))) as {
    seq: number;
    data: Blob;
  }[];
  rows.sort((a, b) => a.seq - b.seq);
  return new Blob(
    rows.map((r) => r.data),
    { type },
  );
}

/** Drops an entry's bytes (starting again, or done with it); `remove` drops the entry too. */
export async function clearChunks(entry: QueueEntry, remove = false): Promise<void> {
  const db = await open();
  const tx = db.transaction([ENTRIES, CHUNKS], "readwrite");
  tx.objectStore(CHUNKS).delete(chunkRange(entry.id));
  if (remove) tx.objectStore(ENTRIES).delete(entry.id);
  else {
    entry.chunks = 0;
    entry.saved = 0;
    tx.objectStore(ENTRIES).put(plain(entry));
  }
  await done(tx);
}

/** Forgets everything (signing out: the next person on this browser must not see or resume these). */
export async function clearAll(): Promise<void> {
  const db = await open();
  const tx = db.transaction([ENTRIES, CHUNKS], "readwrite");
  tx.objectStore(ENTRIES).clear();
  tx.objectStore(CHUNKS).clear();
  await done(tx);
}

/** A plain copy (Svelte state proxies cannot be stored by IndexedDB's structured clone). */
function plain(entry: QueueEntry): QueueEntry {
  return JSON.parse(JSON.stringify(entry)) as QueueEntry;
}
