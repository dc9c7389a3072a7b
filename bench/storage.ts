// Storage throughput through the gRPC service (embedded: SQLite + fs driver), each against a baseline measured
// in the same run on the same 512 MiB file:
//   upload   (hash + encrypt + store, over gRPC)  vs  `sha256sum` + `cp`
//   download (read + decrypt, over gRPC)          vs  fs.createReadStream with 1 MiB buffers
// and the same two over the HTTP byte plane (ADR 036). The second upload of the same content is deduplicated
// only after it was hashed, encrypted and written, so it costs as much as the first.
import { execFileSync } from "node:child_process";
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type StorageClient, startBackend, storageClient } from "@latchflow/cli";
import { createBusFromConfig, createLogger, fromServiceError, type RequestContext } from "@latchflow/runtime";
import { createTestConfig } from "@latchflow/runtime/testing";
import { uniqueName } from "@latchflow/testing";

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_STORAGE_BYTES ?? 512 * MiB);
const MESSAGE = 64 * 1024;
const ctx: RequestContext = { requestId: "bench", tenant: "default" };

async function writeSeededFile(path: string, size: number): Promise<void> {
  const cipher = createCipheriv("aes-256-ctr", randomBytes(32), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  async function* gen() {
    for (let left = size; left > 0; left -= MiB) yield cipher.update(zeros.subarray(0, Math.min(MiB, left)));
  }
  await pipeline(gen(), createWriteStream(path, { highWaterMark: MiB }));
}

function timed<T>(fn: () => T): { ms: number; value: T } {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

async function upload(client: StorageClient, path: string): Promise<{ blobId: string; sha256: string }> {
  const { metadata, options } = client.$callOptions(ctx, { deadlineMs: 600_000 });
  return new Promise((resolve, reject) => {
    const call = client.$raw.putBlob(metadata, options, (err, res) =>
      err ? reject(fromServiceError(err)) : resolve({ blobId: res.blobId, sha256: res.sha256 }),
    );
    void (async () => {
      call.write({ part: { $case: "header", header: { expectedSize: SIZE } } });
      for await (const data of createReadStream(path, { highWaterMark: MiB }) as AsyncIterable<Buffer>) {
        for (let at = 0; at < data.length; at += MESSAGE) {
          if (!call.write({ part: { $case: "chunk", chunk: data.subarray(at, at + MESSAGE) } })) {
            await once(call, "drain");
          }
        }
      }
      call.end();
    })().catch((err) => {
      call.cancel();
      reject(err);
    });
  });
}

async function download(client: StorageClient, blobId: string): Promise<string> {
  const { metadata, options } = client.$callOptions(ctx, { deadlineMs: 600_000 });
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of client.$raw.getBlob({ blobId }, metadata, options)) {
    bytes += (chunk as { data: Buffer }).data.length;
  }
  if (bytes !== SIZE) throw new Error(`downloaded ${bytes} bytes, expected ${SIZE}`);
  return hash.digest("hex");
}

async function readPlain(path: string): Promise<number> {
  let bytes = 0;
  for await (const data of createReadStream(path, { highWaterMark: MiB }) as AsyncIterable<Buffer>) {
    bytes += data.length;
  }
  return bytes;
}

/** Upload over the byte plane: a write capability, then an HTTP PUT of the file. */
async function uploadHttp(client: StorageClient, path: string): Promise<{ blobId: string; sha256: string }> {
  const cap = await client.openBlobWrite({ limitBytes: 0, expectedSize: SIZE }, ctx);
  const res = await fetch(`http://127.0.0.1:${cap.port}${cap.path}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${cap.token}` },
    body: Readable.toWeb(createReadStream(path, { highWaterMark: MiB })) as ReadableStream,
    duplex: "half",
  } as RequestInit);
  if (res.status !== 201) throw new Error(`byte plane upload failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { blobId: string; sha256: string };
}

/** Download over the byte plane: a read capability, then an HTTP GET. */
async function downloadHttp(client: StorageClient, blobId: string): Promise<void> {
  const cap = await client.openBlobRead({ blobId }, ctx);
  const res = await fetch(`http://127.0.0.1:${cap.port}${cap.path}`, {
    headers: { authorization: `Bearer ${cap.token}` },
  });
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  if (bytes !== SIZE) throw new Error(`downloaded ${bytes} bytes, expected ${SIZE}`);
}

function row(name: string, ms: number, baselineMs: number): string {
  const mbps = SIZE / 1e6 / (ms / 1000);
  return `| ${name} | ${ms.toFixed(0)} | ${mbps.toFixed(0)} | ${(baselineMs / ms).toFixed(2)} |`;
}

export async function benchStorage(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lf-bench-storage-"));
  const logger = createLogger({ level: "silent" });
  const tc = createTestConfig({
    dialect: "sqlite",
    name: uniqueName("bench_storage"),
    env: { LATCHFLOW_MASTER_KEY: randomBytes(32).toString("base64") },
  });
  const bus = await createBusFromConfig(tc.config, logger);
  const node = await startBackend(
    "storage",
    { config: tc.config, bus, logger },
    { host: "127.0.0.1", port: 0 },
  );
  const client = storageClient(`127.0.0.1:${node.port}`, 600_000, logger);
  try {
    const file = join(dir, "plain.bin");
    await writeSeededFile(file, SIZE);
    const expected = createHash("sha256");
    for await (const d of createReadStream(file, { highWaterMark: MiB })) expected.update(d as Buffer);
    const digest = expected.digest("hex");

    // baselines (page cache warm after the write above)
    const hashCp = timed(() => {
      execFileSync("sha256sum", [file]);
      execFileSync("cp", [file, join(dir, "copy.bin")]);
    });
    rmSync(join(dir, "copy.bin"));
    const plainRead = await timedAsync(() => readPlain(file));

    const up = await timedAsync(() => upload(client, file));
    if (up.value.sha256 !== digest) throw new Error("upload hash mismatch");
    const down = await timedAsync(() => download(client, up.value.blobId));
    const upHttp = await timedAsync(() => uploadHttp(client, file));
    if (upHttp.value.sha256 !== digest) throw new Error("byte plane upload hash mismatch");
    const downHttp = await timedAsync(() => downloadHttp(client, upHttp.value.blobId));

    console.log(`\n## storage throughput (${(SIZE / MiB).toFixed(0)} MiB, embedded: SQLite + fs, over gRPC)`);
    console.log("| measurement | ms | MB/s | speed × baseline |");
    console.log("|---|---:|---:|---:|");
    console.log(row("baseline: sha256sum + cp", hashCp.ms, hashCp.ms));
    console.log(row("upload: gRPC PutBlob (sha256 + AES-256-GCM + write)", up.ms, hashCp.ms));
    console.log(row("baseline: fs.createReadStream, 1 MiB buffers", plainRead.ms, plainRead.ms));
    console.log(row("download: gRPC GetBlob (read + AES-256-GCM decrypt)", down.ms, plainRead.ms));
    console.log(row("upload: byte plane HTTP PUT (sha256 + AES-256-GCM + write)", upHttp.ms, hashCp.ms));
    console.log(row("download: byte plane HTTP GET (read + AES-256-GCM decrypt)", downHttp.ms, plainRead.ms));
    void down.value;
  } finally {
    client.$close();
    await node.stop();
    await bus.close();
    tc.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
