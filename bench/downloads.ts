// End to end through the gateway (embedded: SQLite + fs blobs), against baselines measured in the same run on
// the same file:
//   upload    POST /api/v1/files (stream → hash + encrypt + store)   vs  `sha256sum` + `cp`
//   download  GET /s/{token}: the encrypted bundle archive, decrypted   vs  the plaintext file from a Node
//             static server (fs.createReadStream, 1 MiB buffers; nginx is not installed here)
//   16 parallel downloads of each
import { execFileSync } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { startEmbedded } from "@latchflow/cli";
import { createLogger } from "@latchflow/runtime";
import { createTestConfig } from "@latchflow/runtime/testing";
import { uniqueName } from "@latchflow/testing";

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_DOWNLOAD_BYTES ?? 256 * MiB);
const TOKEN = "bench-download-token-0123456789abcdef";

async function seededFile(path: string, size: number) {
  const cipher = createCipheriv("aes-256-ctr", randomBytes(32), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  async function* gen() {
    for (let left = size; left > 0; left -= MiB) yield cipher.update(zeros.subarray(0, Math.min(MiB, left)));
  }
  await pipeline(gen(), createWriteStream(path, { highWaterMark: MiB }));
}

/** Downloads a URL, counting bytes; returns milliseconds. */
async function timedGet(url: string): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url} → ${res.status}`);
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return { ms: performance.now() - t, bytes };
}

const mbps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);

function row(name: string, bytes: number, ms: number, baselineMbps: number) {
  const rate = mbps(bytes, ms);
  console.log(`| ${name} | ${ms.toFixed(0)} | ${rate.toFixed(0)} | ${(rate / baselineMbps).toFixed(2)} |`);
}

export async function benchDownloads(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lf-bench-dl-"));
  const file = join(dir, "payload.bin");
  await seededFile(file, SIZE);
  const tc = createTestConfig({
    dialect: "sqlite",
    name: uniqueName("bench_dl"),
    env: { LATCHFLOW_BOOTSTRAP_TOKEN: TOKEN },
  });
  const stack = await startEmbedded(tc.config, createLogger({ level: "silent" }), () => {});
  const staticServer = createServer((_req, res) => {
    res.writeHead(200, { "content-length": String(SIZE), "content-type": "application/octet-stream" });
    createReadStream(file, { highWaterMark: MiB }).pipe(res);
  });
  await new Promise<void>((r) => staticServer.listen(0, "127.0.0.1", r));
  const addr = staticServer.address();
  const staticUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/payload.bin`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  try {
    // upload vs sha256sum + cp
    let t = performance.now();
    execFileSync("sha256sum", [file]);
    execFileSync("cp", [file, join(dir, "copy.bin")]);
    const baselineUp = performance.now() - t;
    t = performance.now();
    const up = await fetch(`${stack.url}/api/v1/files`, {
      method: "POST",
      headers: {
        ...auth,
        "content-type": "application/octet-stream",
        "x-file-name": "payload.bin",
        "content-length": String(SIZE),
      },
      body: Readable.toWeb(createReadStream(file, { highWaterMark: MiB })) as ReadableStream,
      duplex: "half",
    } as RequestInit);
    const uploadMs = performance.now() - t;
    if (up.status !== 201) throw new Error(`upload failed: ${up.status} ${await up.text()}`);
    const fileId = ((await up.json()) as { id: string }).id;

    const json = { ...auth, "content-type": "application/json" };
    const bundle = (await (
      await fetch(`${stack.url}/api/v1/bundles`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ name: "bench" }),
      })
    ).json()) as { id: string };
    await fetch(`${stack.url}/api/v1/bundles/${bundle.id}/objects`, {
      method: "PUT",
      headers: json,
      body: JSON.stringify({ objects: [{ fileId }] }),
    });
    const link = (await (
      await fetch(`${stack.url}/api/v1/bundles/${bundle.id}/links`, {
        method: "POST",
        headers: json,
        body: JSON.stringify({ expiresInSeconds: 3600 }),
      })
    ).json()) as { url: string };

    await timedGet(staticUrl);
    await timedGet(link.url);
    const base = await timedGet(staticUrl);
    const dl = await timedGet(link.url);
    const parallel = async (url: string) => {
      const start = performance.now();
      const results = await Promise.all(Array.from({ length: 16 }, () => timedGet(url)));
      return { ms: performance.now() - start, bytes: results.reduce((n, r) => n + r.bytes, 0) };
    };
    const base16 = await parallel(staticUrl);
    const dl16 = await parallel(link.url);

    console.log(`\n## Upload and download through the gateway (${(SIZE / MiB).toFixed(0)} MiB file)`);
    console.log("| measurement | ms | MiB/s | speed × baseline |\n|---|---:|---:|---:|");
    row("baseline: sha256sum + cp", SIZE, baselineUp, mbps(SIZE, baselineUp));
    row("upload: POST /api/v1/files (hash + encrypt + store)", SIZE, uploadMs, mbps(SIZE, baselineUp));
    row("baseline: Node static file server", base.bytes, base.ms, mbps(base.bytes, base.ms));
    row("download: GET /s/{token} (encrypted archive)", dl.bytes, dl.ms, mbps(base.bytes, base.ms));
    row("baseline: 16 parallel static downloads", base16.bytes, base16.ms, mbps(base16.bytes, base16.ms));
    row("16 parallel archive downloads", dl16.bytes, dl16.ms, mbps(base16.bytes, base16.ms));
    console.log(
      `(archive = ${statSync(file).size} bytes of content + ZIP headers; goal: download ≥ 0.60 × baseline)`,
    );
  } finally {
    staticServer.close();
    await stack.stop();
    tc.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
