// A 1 GiB round trip through the gRPC storage service whose memory does not grow with the blob: after a 256 MiB
// warm-up round trip, the 1 GiB one (4× the data) raises the service's peak RSS by less than 48 MB, and the peak
// stays under a 320 MB ceiling that catches gross regressions. Node 24 keeps a plateau of released-but-not-yet-
// freed chunks (~80–110 MB over the start, whether 256 MiB or 2 GiB pass; ADR 016): bounded, so the test asserts
// what must never happen, memory that scales with the size.
// In its own file so it can run alone: npx vitest run services/storage/test/large-upload.test.ts
// The service runs in a child process (fixtures/storage-server.ts) loading only what a storage process loads;
// this test process is the client: it streams seeded data in and hashes what comes back.
import { spawn } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { storageV1 } from "@latchflow/proto";
import { createClient, fromServiceError } from "@latchflow/runtime";
import { expect, it } from "vitest";
import { ctx, logger, putBlob } from "./harness.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const RSS_LIMIT = 320 * 1e6;
const GROWTH_LIMIT = 48 * 1e6;
const fixture = fileURLToPath(new URL("./fixtures/storage-server.ts", import.meta.url));
const root = fileURLToPath(new URL("../../..", import.meta.url));

/** Deterministic pseudo-random bytes (AES-256-CTR keystream of a seed), 1 MiB at a time. */
async function* seeded(size: number, seed: string): AsyncGenerator<Buffer> {
  const cipher = createCipheriv("aes-256-ctr", createHash("sha256").update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  for (let left = size; left > 0; left -= MiB) yield cipher.update(zeros.subarray(0, Math.min(MiB, left)));
}

type Client = Parameters<typeof putBlob>[0];

/** Uploads `size` seeded bytes, downloads them back and checks every byte; returns the two rates in MB/s. */
async function roundTrip(client: Client, size: number, seed: string) {
  const sent = createHash("sha256");
  async function* source() {
    for await (const b of seeded(size, seed)) {
      sent.update(b);
      yield b;
    }
  }
  const t0 = performance.now();
  const info = await putBlob(client, source(), { expectedSize: size });
  const t1 = performance.now();
  const sentHash = sent.digest("hex");
  expect(info).toMatchObject({ size, sha256: sentHash });

  const received = createHash("sha256");
  let bytes = 0;
  let offsetsOk = true;
  let maxMessage = 0;
  const { metadata, options } = client.$callOptions(ctx(), { deadlineMs: 120_000 });
  try {
    for await (const chunk of client.$raw.getBlob({ blobId: info.blobId }, metadata, options)) {
      const { data, offset } = chunk as storageV1.BlobChunk;
      offsetsOk &&= offset === bytes;
      maxMessage = Math.max(maxMessage, data.length);
      received.update(data);
      bytes += data.length;
    }
  } catch (err) {
    throw fromServiceError(err as Parameters<typeof fromServiceError>[0]);
  }
  const t2 = performance.now();
  expect(bytes).toBe(size);
  expect(received.digest("hex")).toBe(sentHash);
  expect(offsetsOk).toBe(true);
  expect(maxMessage).toBe(64 * 1024);
  return { up: size / 1e6 / ((t1 - t0) / 1000), down: size / 1e6 / ((t2 - t1) / 1000) };
}

it("uploads and downloads 1 GiB through gRPC with the service's memory not growing with the blob", {
  timeout: 180_000,
}, async () => {
  // a clean environment: nothing of the test runner (NODE_OPTIONS, loaders) leaks into the measurement.
  // --max-semi-space-size=1: a 1 MiB young generation, so short-lived buffers are collected promptly instead
  // of V8 growing the young generation to ~48 MB under this allocation rate; MALLOC_ARENA_MAX=2: glibc keeps
  // fewer per-thread arenas for the crypto and file work of the libuv threads (deploy/Dockerfile sets it too)
  const child = spawn(process.execPath, ["--max-semi-space-size=1", "--import", "tsx", fixture], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", MALLOC_ARENA_MAX: "2" },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string) ?? "null");
  const peak = async (line: "peak" | "end") => {
    child.stdin!.write(`${line}\n`);
    return (await next()) as { baselineRss: number; maxRss: number };
  };
  try {
    const { port } = (await next()) as { port: number };
    const client = createClient(storageV1.StorageServiceClient, `127.0.0.1:${port}`, {
      deadlineMs: 120_000,
      logger,
    });
    try {
      await roundTrip(client, 256 * MiB, "latchflow-warm-up");
      const warm = await peak("peak");
      const big = await roundTrip(client, GiB, "latchflow-1gib");
      const { baselineRss, maxRss } = await peak("end");
      const mb = (n: number) => (n / 1e6).toFixed(0);
      process.stdout.write(
        `1 GiB round trip: upload ${mb(big.up * 1e6)} MB/s, download ${mb(big.down * 1e6)} MB/s; service RSS ` +
          `${mb(baselineRss)} MB at start, ${mb(warm.maxRss)} MB max over 256 MiB, ${mb(maxRss)} MB max over 1 GiB\n`,
      );
      // memory does not grow with the blob: 4× the data adds (almost) nothing to the peak
      expect(maxRss - warm.maxRss).toBeLessThan(GROWTH_LIMIT);
      expect(maxRss).toBeLessThan(RSS_LIMIT);
    } finally {
      client.$close();
    }
  } finally {
    if (child.exitCode === null) child.kill();
  }
});
