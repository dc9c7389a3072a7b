import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import {
  createSealer,
  type FromSealWorker,
  SEAL_WORKER_ROLE,
  type SealDigest,
  type SealKey,
  type ToSealWorker,
} from "./seal-worker.js";

/**
 * Plaintext goes to a worker in batches of this size (copied once; the batch's memory is then transferred).
 * Big enough that waking the worker (and the file write of each answer) is rare: 128 times for 256 MiB;
 * small enough that a service's memory stays flat (large-upload.test.ts).
 */
const BATCH = 2 * 1024 * 1024;
/** batches sent but not yet answered; bounds an upload's plaintext in flight to 6 MiB */
const IN_FLIGHT = 3;

/** old-generation limit of a sealing worker (it holds a sealer, a hash and a few buffers) */
const WORKER_HEAP_MB = 16;

type Answer = Exclude<FromSealWorker, { op: "error" } | { op: "ready" }>;

/** One worker thread running seal-worker.ts; answers come back in the order the requests went. */
class SealWorker {
  private readonly worker: Worker;
  private readonly waiting: { resolve(a: Answer): void; reject(e: Error): void }[] = [];
  broken: Error | undefined;
  /** false when the worker could not start */
  readonly ready: Promise<boolean>;
  private started: (ok: boolean) => void = () => {};

  constructor() {
    this.worker = new Worker(new URL("./seal-worker.ts", import.meta.url), {
      workerData: { role: SEAL_WORKER_ROLE },
      // the worker keeps almost nothing alive; a small heap makes V8 collect the per-chunk cipher output
      // buffers early instead of letting ~100 MB of them float (large-upload.test.ts checks the service's RSS)
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    this.worker.unref();
    this.ready = new Promise<boolean>((resolve) => {
      this.started = resolve;
    });
    this.worker.on("message", (m: FromSealWorker) => {
      if (m.op === "ready") {
        this.started(true);
        return;
      }
      const w = this.waiting.shift();
      if (!w) return;
      if (m.op === "error") w.reject(new Error(`sealing failed: ${m.message}`));
      else w.resolve(m);
    });
    const fail = (err: Error) => {
      this.started(false);
      this.broken ??= err;
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`sealing worker exited (${code})`)));
  }

  start(key: SealKey): void {
    this.worker.ref();
    this.post({ op: "start", key: { dek: key.dek, noncePrefix: key.noncePrefix, chunkSize: key.chunkSize } });
  }

  /** Sends a batch (its memory is transferred: the caller must not touch it again). */
  seal(data: Buffer): Promise<Answer> {
    return this.request({ op: "data", data }, [data.buffer as ArrayBuffer]);
  }

  end(): Promise<Answer> {
    return this.request({ op: "end" }, []);
  }

  idle(): void {
    this.worker.unref();
  }

  terminate(): void {
    void this.worker.terminate();
  }

  private request(msg: ToSealWorker, transfer: ArrayBuffer[]): Promise<Answer> {
    if (this.broken) return Promise.reject(this.broken);
    const answer = new Promise<Answer>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.post(msg, transfer);
    // an abandoned upload may never await it
    answer.catch(() => {});
    return answer;
  }

  private post(msg: ToSealWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }
}

const MAX_WORKERS = Math.max(1, availableParallelism());
const idle: SealWorker[] = [];
let busy = 0;
/** set when a worker could not start: every upload then seals in-process */
let workersUnavailable = false;

async function acquire(): Promise<SealWorker | undefined> {
  if (workersUnavailable) return undefined;
  let w = idle.pop();
  if (!w) {
    if (busy >= MAX_WORKERS) return undefined;
    try {
      w = new SealWorker();
    } catch {
      workersUnavailable = true;
      return undefined;
    }
  }
  busy++;
  if (!(await w.ready) || w.broken) {
    busy--;
    w.terminate();
    workersUnavailable = true;
    return undefined;
  }
  return w;
}

function release(w: SealWorker, healthy: boolean): void {
  busy--;
  if (healthy && !w.broken && idle.length + busy < MAX_WORKERS) {
    w.idle();
    idle.push(w);
  } else w.terminate();
}

/** For tests and diagnostics: sealing workers now idle and busy, and whether workers could not start. */
export function sealWorkerState(): { idle: number; busy: number; unavailable: boolean } {
  return { idle: idle.length, busy, unavailable: workersUnavailable };
}

/** Starts a sealing worker ahead of the first upload (storage does at start; it does not keep Node running). */
export function warmSealWorkers(): void {
  if (workersUnavailable || idle.length + busy > 0) return;
  try {
    const w = new SealWorker();
    idle.push(w);
    void w.ready.then((ok) => {
      if (!ok) {
        idle.splice(idle.indexOf(w), 1);
        workersUnavailable = true;
      }
    });
  } catch {
    workersUnavailable = true;
  }
}

/** Sealing in this thread: the same bytes and digest, for when no worker is free. */
async function* sealHere(
  key: SealKey,
  source: AsyncIterable<Buffer>,
  onDigest: (d: SealDigest) => void,
): AsyncGenerator<Buffer> {
  const sealer = createSealer(key);
  for await (const data of source) {
    const out = sealer.update(data);
    if (out.length > 0) yield out;
  }
  const { sealed, ...digest } = sealer.final();
  onDigest(digest);
  yield sealed;
}

async function* sealInWorker(
  w: SealWorker,
  key: SealKey,
  source: AsyncIterable<Buffer>,
  onDigest: (d: SealDigest) => void,
): AsyncGenerator<Buffer> {
  let healthy = false;
  try {
    w.start(key);
    const pending: Promise<Answer>[] = [];
    // batches come back with their answers and are filled again
    const spares: Buffer[] = [];
    const sealedOf = (a: Answer | undefined) => {
      if (a?.op === "sealed" && a.spare.byteLength === BATCH) spares.push(Buffer.from(a.spare));
      return a?.data;
    };
    let batch: Buffer = Buffer.allocUnsafeSlow(BATCH);
    let filled = 0;
    for await (const data of source) {
      let at = 0;
      while (at < data.length) {
        const n = data.copy(batch, filled, at);
        filled += n;
        at += n;
        if (filled < BATCH) continue;
        pending.push(w.seal(batch));
        filled = 0;
        // hashing and sealing of earlier batches overlap with receiving this one
        while (pending.length >= IN_FLIGHT) {
          const out = sealedOf(await pending.shift());
          if (out && out.length > 0) yield Buffer.from(out.buffer, out.byteOffset, out.byteLength);
        }
        batch = spares.pop() ?? Buffer.allocUnsafeSlow(BATCH);
      }
    }
    if (filled > 0) pending.push(w.seal(batch.subarray(0, filled)));
    const done = w.end();
    for (const p of pending) {
      const out = (await p).data;
      if (out.length > 0) yield Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    }
    const last = await done;
    if (last.op !== "done") throw new Error("sealing worker answered out of order");
    onDigest({ sha256: last.sha256, crc32: last.crc32, size: last.size });
    healthy = true;
    yield Buffer.from(last.data.buffer, last.data.byteOffset, last.data.byteLength);
  } finally {
    // an upload that failed midway leaves the worker mid-blob: it is not reused
    release(w, healthy);
  }
}

/**
 * The sealed object of `source` (chunk-cipher.ts format), in order; `onDigest` gets the plaintext's sha256,
 * CRC-32 and size before the last sealed bytes are yielded. Hashing and encryption run on a worker thread
 * (ADR 044) when one is free, in this thread otherwise; the bytes and digest are the same either way.
 */
export async function* sealStream(
  key: SealKey,
  source: AsyncIterable<Buffer>,
  onDigest: (d: SealDigest) => void,
  options: { worker?: boolean } = {},
): AsyncGenerator<Buffer> {
  const w = options.worker === false ? undefined : await acquire();
  if (w) yield* sealInWorker(w, key, source, onDigest);
  else yield* sealHere(key, source, onDigest);
}
