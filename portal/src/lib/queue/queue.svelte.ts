import { ApiError } from "@latchflow/api/client";
import { DownloadRefusal } from "@latchflow/api/reasons";
import { api } from "#lib/api.js";
import {
  appendChunk,
  clearAll,
  clearChunks,
  getEntry,
  listEntries,
  putEntry,
  type QueueEntry,
  readFile,
} from "./store.js";

export type { QueueEntry } from "./store.js";

/**
 * The offline download queue (ADR 026): a download asked for while offline waits here; when the connection is
 * back it consumes exactly one download (the grant URL is kept, so a retry never consumes another) and fetches
 * the archive, resuming with `Range: bytes=<saved>-` from the bytes already kept in IndexedDB. When every byte
 * is here the file is handed to the browser. The queue runs in the open page; one tab at a time (Web Locks).
 */

type Assignment = NonNullable<Awaited<ReturnType<typeof api.consumePortalDownload>>["assignment"]>;

/** Bytes kept per IndexedDB record. */
const CHUNK = 1024 * 1024;
const LOCK = "latchflow-download-queue";

export const queue = $state({
  entries: [] as QueueEntry[],
  /** bytes received per entry, including those not yet written (the progress shown) */
  received: {} as Record<string, number>,
  /** the assignment as the last grant answered it, per bundle (the bundle page shows the new limits) */
  assignments: {} as Record<string, Assignment>,
  online: true,
  ready: false,
});

/** Passphrases typed for a queued download: in memory only, never stored. */
const passphrases = new Map<string, string>();
const transfers = new Map<string, AbortController>();
let started = false;

/** Loads the queue and resumes it whenever the connection comes back; once per page. */
export async function initQueue(): Promise<void> {
  if (started || typeof indexedDB === "undefined") return;
  started = true;
  queue.online = navigator.onLine;
  addEventListener("online", () => {
    queue.online = true;
    void processQueue();
  });
  addEventListener("offline", () => {
    queue.online = false;
  });
  const entries = await listEntries().catch(() => []);
  // a transfer that was running when the page closed goes on from what was kept
  for (const e of entries) if (e.status === "active") e.status = "paused";
  queue.entries = entries;
  queue.ready = true;
  if (navigator.onLine) void processQueue();
}

const find = (id: string) => queue.entries.find((e) => e.id === id);

/** Asks for a download through the queue (offline, or the connection failed): it starts when possible. */
export async function enqueue(
  bundle: { id: string; name: string; size: number },
  passphrase?: string,
): Promise<QueueEntry> {
  const entry: QueueEntry = {
    id: crypto.randomUUID(),
    bundleId: bundle.id,
    bundleName: bundle.name,
    size: bundle.size,
    createdAt: new Date().toISOString(),
    status: "waiting",
    grant: null,
    saved: 0,
    chunks: 0,
    etag: null,
    filename: null,
    problem: null,
  };
  if (passphrase) passphrases.set(entry.id, passphrase);
  await putEntry(entry);
  queue.entries.push(entry);
  if (navigator.onLine) void processQueue();
  return entry;
}

/** Removes an entry and its bytes (a transfer in progress stops). */
export async function cancel(id: string): Promise<void> {
  transfers.get(id)?.abort();
  const entry = find(id);
  if (!entry) return;
  queue.entries = queue.entries.filter((e) => e.id !== id);
  passphrases.delete(id);
  delete queue.received[id];
  await clearChunks(entry, true);
}

/** Starts a failed entry again with a new grant: this consumes another download. */
export async function restart(id: string): Promise<void> {
  const entry = find(id);
  if (!entry) return;
  entry.grant = null;
  entry.problem = null;
  entry.etag = null;
  entry.status = "waiting";
  delete queue.received[id];
  await clearChunks(entry);
  void processQueue();
}

/** Hands a complete entry's file to the browser (again): an object URL on an `a[download]`. */
export async function saveFile(id: string): Promise<void> {
  const entry = find(id);
  if (entry?.status !== "done") return;
  const file = await readFile(id);
  const url = URL.createObjectURL(file);
  const a = document.createElement("a");
  a.href = url;
  a.download = entry.filename || `${entry.bundleName}.zip`;
  a.rel = "noopener";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const OWNER = "latchflow-queue-owner";

/**
 * After a sign-in: the queue belongs to one recipient. When someone else signs in on this browser (the last
 * session ended without signing out), the queue and its bytes are forgotten before they could see them.
 */
export async function claimQueue(recipientId: string): Promise<void> {
  const owner = localStorage.getItem(OWNER);
  if (owner && owner !== recipientId) await forgetQueue();
  localStorage.setItem(OWNER, recipientId);
}

/** Forgets the whole queue and its bytes (on sign-out). */
export async function forgetQueue(): Promise<void> {
  for (const c of transfers.values()) c.abort();
  queue.entries = [];
  queue.received = {};
  passphrases.clear();
  await clearAll().catch(() => undefined);
}

/** Works through the entries that can go on; one tab at a time, so no download is consumed twice. */
export function processQueue(): Promise<void> {
  const work = async () => {
    for (const e of [...queue.entries]) {
      if (e.status === "waiting" || e.status === "paused" || signedOut(e)) await run(e.id);
    }
  };
  if (navigator.locks) return navigator.locks.request(LOCK, { ifAvailable: false }, work);
  return work();
}

/** Stopped because the session ended: tried again after the next sign-in. */
const signedOut = (e: QueueEntry) => e.status === "failed" && e.problem?.kind === "signed_out";

/** Brings the state copy up to date with what IndexedDB holds (another tab may have moved it on). */
async function fresh(id: string): Promise<QueueEntry | undefined> {
  const stored = await getEntry(id);
  const i = queue.entries.findIndex((e) => e.id === id);
  if (!stored || i < 0) return undefined;
  queue.entries[i] = stored;
  return queue.entries[i];
}

async function run(id: string): Promise<void> {
  const entry = await fresh(id);
  if (!entry || (entry.status !== "waiting" && entry.status !== "paused" && !signedOut(entry))) return;
  if (!entry.grant) {
    try {
      const pass = passphrases.get(id);
      const granted = await api.consumePortalDownload({
        params: { id: entry.bundleId },
        body: pass ? { passphrase: pass } : {},
      });
      // kept before any byte is fetched: from here on, retries use this grant
      entry.grant = { url: granted.url, expiresAt: granted.expiresAt };
      entry.status = "paused";
      await putEntry(entry);
      passphrases.delete(id);
      if (granted.assignment) queue.assignments[entry.bundleId] = granted.assignment;
    } catch (err) {
      if (err instanceof ApiError) await fail(entry, problemOf(err.status, err.details.reason, err.details));
      // otherwise the network: it stays waiting until the connection comes back
      else retryLater();
      return;
    }
  }
  if (Date.parse(entry.grant.expiresAt) <= Date.now()) return fail(entry, { kind: "expired" });
  await transfer(entry);
}

function problemOf(
  status: number,
  reason: unknown,
  details: Record<string, unknown> = {},
): QueueEntry["problem"] {
  if (status === 401) return { kind: "signed_out" };
  if (reason === DownloadRefusal.GrantExhausted) return { kind: "exhausted" };
  // the grant belongs to the session that ended: after signing in again it cannot go on
  if (reason === DownloadRefusal.OtherSession) return { kind: "other_session" };
  if (status === 404 || reason === DownloadRefusal.LinkInvalid) return { kind: "expired" };
  const at =
    typeof details.availableAt === "string"
      ? details.availableAt
      : typeof details.opensAt === "string"
        ? details.opensAt
        : undefined;
  return {
    kind: "refused",
    ...(typeof reason === "string" ? { reason } : {}),
    ...(at ? { at } : {}),
  };
}

async function fail(entry: QueueEntry, problem: QueueEntry["problem"]): Promise<void> {
  entry.status = "failed";
  entry.problem = problem;
  await putEntry(entry);
}

let retry: ReturnType<typeof setTimeout> | undefined;

/** Still online (the server or the connection hiccuped): tries again shortly; offline, the online event does. */
function retryLater(): void {
  if (!navigator.onLine || retry) return;
  retry = setTimeout(() => {
    retry = undefined;
    void processQueue();
  }, 15_000);
}

async function pause(entry: QueueEntry): Promise<void> {
  if (!find(entry.id)) return; // cancelled meanwhile
  entry.status = "paused";
  await putEntry(entry);
  retryLater();
}

/** The file name in a Content-Disposition header (`filename*` first). */
function fileName(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      // fall through to the plain name
    }
  }
  return /filename="([^"]*)"/i.exec(header)?.[1] ?? null;
}

/** Fetches the rest of the archive with the entry's grant, from the bytes already kept. */
async function transfer(entry: QueueEntry): Promise<void> {
  const grant = entry.grant!;
  const controller = new AbortController();
  transfers.set(entry.id, controller);
  try {
    const headers: Record<string, string> = {};
    if (entry.saved > 0) {
      headers.range = `bytes=${entry.saved}-`;
      if (entry.etag) headers["if-range"] = entry.etag;
    }
    let res: Response;
    try {
      res = await fetch(grant.url, {
        headers,
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
      });
    } catch {
      return await pause(entry);
    }
    if (res.status === 416 && entry.saved > 0 && entry.saved >= entry.size) return await complete(entry);
    if (res.status !== 200 && res.status !== 206) {
      if (res.status >= 500 || res.status === 429) return await pause(entry);
      const body = (await res.json().catch(() => null)) as {
        error?: { details?: Record<string, unknown> };
      } | null;
      return await fail(entry, problemOf(res.status, body?.error?.details?.reason, body?.error?.details));
    }
    let total: number;
    if (res.status === 206) {
      const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(res.headers.get("content-range") ?? "");
      if (!range || Number(range[1]) !== entry.saved) {
        // not the continuation asked for: keep nothing uncertain, start the file again with the same grant
        await res.body?.cancel();
        await clearChunks(entry);
        return await pause(entry);
      }
      total = Number(range[2]);
    } else {
      // the whole archive (a first request, or the server could not resume): what was kept is replaced
      if (entry.saved > 0) await clearChunks(entry);
      total = Number(res.headers.get("content-length") ?? entry.size);
    }
    entry.size = total;
    entry.etag = res.headers.get("etag");
    entry.filename = fileName(res.headers.get("content-disposition"));
    entry.status = "active";
    await putEntry(entry);
    queue.received[entry.id] = entry.saved;

    const reader = res.body!.getReader();
    let parts: Uint8Array<ArrayBuffer>[] = [];
    let buffered = 0;
    const flush = async () => {
      if (buffered === 0) return;
      const blob = new Blob(parts);
      parts = [];
      buffered = 0;
      await appendChunk(entry, blob);
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value as Uint8Array<ArrayBuffer>);
        buffered += value.length;
        queue.received[entry.id] = entry.saved + buffered;
        if (buffered >= CHUNK) await flush();
      }
    } catch {
      // the connection went away: what arrived is kept (bytes arrive in order), the rest is fetched later
      if (!find(entry.id)) return;
      await flush();
      return await pause(entry);
    }
    if (!find(entry.id)) return;
    await flush();
    if (entry.saved >= entry.size) await complete(entry);
    else await pause(entry);
  } finally {
    transfers.delete(entry.id);
  }
}

async function complete(entry: QueueEntry): Promise<void> {
  entry.status = "done";
  entry.problem = null;
  await putEntry(entry);
  queue.received[entry.id] = entry.saved;
  await saveFile(entry.id);
}
