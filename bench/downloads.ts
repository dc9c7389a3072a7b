// End to end through the gateway (embedded: SQLite + fs blobs), against baselines measured in the same run on
// the same file:
//   upload    POST /api/v1/files by `curl -T` (stream → hash + encrypt + store)   vs  `sha256sum` + `cp`
//             (median of BENCH_UPLOADS pairs after a first upload)
//   download  GET /s/{token}: the encrypted bundle archive, decrypted   vs  the plaintext file from a Node
//             static server (fs.createReadStream, 1 MiB buffers; nginx is not installed here)
//   16 parallel downloads of each
// BENCH_DOWNLOAD_RSS_BYTES=<n> (e.g. 2147483648) adds the memory check of issue 17: one archive of n bytes
// downloaded through the gateway while the servers' RSS is sampled every 100 ms (distributed: the gateway and
// storage processes; embedded: `latchflow start` as a process of its own, and the bench's process, which runs
// the embedded server of the other rows with this bench's client and static server); the table shows RSS when
// idle (just before the download) and its peak during it.
// Both modes: embedded (one process: SQLite, in-process bus) and distributed (6 processes: Postgres + NATS);
// BENCH_DOWNLOAD_EMBEDDED=0 or BENCH_DOWNLOAD_DISTRIBUTED=0 skips one. Blob bytes take the storage byte plane
// (ADR 036).
import { execFile } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { startEmbedded } from "@latchflow/cli";
import { createLogger } from "@latchflow/runtime";
import { createTestConfig } from "@latchflow/runtime/testing";
import { uniqueName } from "@latchflow/testing";
import { withDistributed } from "./distributed.js";
import { withEmbeddedProcess } from "./embedded-process.js";

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_DOWNLOAD_BYTES ?? 256 * MiB);
const RSS_SIZE = Number(process.env.BENCH_DOWNLOAD_RSS_BYTES ?? 0);
const TOKEN = "bench-download-token-0123456789abcdef";
/** Uploads measured (each after its baseline) once the first is done; the table shows the medians. */
const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 3);
const execFileAsync = promisify(execFile);

/** Resident set size of a process (from /proc), in bytes; 0 when it cannot be read. */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface RssRow {
  label: string;
  process: string;
  idle: number;
  peak: number;
  ms: number;
  bytes: number;
}

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
  const reader = res.body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.length;
  return { ms: performance.now() - t, bytes };
}

const mbps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);

function row(name: string, bytes: number, ms: number, baselineMbps: number) {
  const rate = mbps(bytes, ms);
  console.log(`| ${name} | ${ms.toFixed(0)} | ${rate.toFixed(0)} | ${(rate / baselineMbps).toFixed(2)} |`);
}

type Timed = { ms: number; bytes: number };

interface Measured {
  label: string;
  uploadMs: number;
  /** each baseline is measured right before its measurement (the machine's load drifts); uploads: medians */
  baseUp: number;
  base: Timed;
  dl: Timed;
  base16: Timed;
  dl16: Timed;
}

let bundles = 0;

/**
 * POSTs a file with `curl -T` (streamed from disk) in its own process, as a browser or the CLI would be: in the
 * embedded run the server shares this process, and a client here would have its reads, copies and garbage
 * counted as the server's (up to 5–7 full collections per 256 MiB upload, ADR 067), while the baseline's
 * `sha256sum` and `cp` run in theirs. `Expect:` off: no wait for a `100 Continue`.
 */
async function postFile(url: string, headers: Record<string, string>, file: string) {
  const args = ["-sS", "-X", "POST", "-T", file, "-H", "Expect:", "-w", "\n%{http_code}"];
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
  const { stdout } = await execFileAsync("curl", [...args, url], { maxBuffer: MiB });
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), text: stdout.slice(0, cut) };
}

/** Uploads `file` through the gateway; returns its id and the upload time. */
async function upload(gateway: string, file: string): Promise<{ fileId: string; uploadMs: number }> {
  const headers = {
    authorization: `Bearer ${TOKEN}`,
    "content-type": "application/octet-stream",
    "x-file-name": "payload.bin",
  };
  const t = performance.now();
  const up = await postFile(`${gateway}/api/v1/files`, headers, file);
  const uploadMs = performance.now() - t;
  if (up.status !== 201) throw new Error(`upload failed: ${up.status} ${up.text}`);
  return { fileId: (JSON.parse(up.text) as { id: string }).id, uploadMs };
}

/** Uploads `file` through the gateway into a bundle with a publish link; returns the link. */
async function publish(gateway: string, file: string): Promise<{ url: string }> {
  const { fileId } = await upload(gateway, file);
  const json = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const bundle = (await (
    await fetch(`${gateway}/api/v1/bundles`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ name: `bench ${++bundles}` }),
    })
  ).json()) as { id: string };
  await fetch(`${gateway}/api/v1/bundles/${bundle.id}/objects`, {
    method: "PUT",
    headers: json,
    body: JSON.stringify({ objects: [{ fileId }] }),
  });
  const link = (await (
    await fetch(`${gateway}/api/v1/bundles/${bundle.id}/links`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ expiresInSeconds: 3600 }),
    })
  ).json()) as { url: string };
  return { url: link.url };
}

/** `sha256sum` + `cp` of `file`: the upload's baseline, in milliseconds. */
async function hashAndCopy(file: string): Promise<number> {
  const t = performance.now();
  await execFileAsync("sha256sum", [file]);
  await execFileAsync("cp", [file, `${file}.copy`]);
  const ms = performance.now() - t;
  rmSync(`${file}.copy`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;

/**
 * Uploads `file`, lets the servers settle, then downloads its archive once while sampling the RSS of `pids`
 * every 100 ms: idle = the last sample before the download, peak = the highest during it.
 */
async function measureRss(label: string, gateway: string, file: string, pids: Record<string, number>) {
  const link = await publish(gateway, file);
  await new Promise((r) => setTimeout(r, 2_000));
  const idle = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, rssOf(pid)]));
  const peak = { ...idle };
  const sampler = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) peak[name] = Math.max(peak[name] ?? 0, rssOf(pid));
  }, 100);
  try {
    const dl = await timedGet(link.url);
    return Object.keys(pids).map(
      (name): RssRow => ({ label, process: name, idle: idle[name] ?? 0, peak: peak[name] ?? 0, ...dl }),
    );
  } finally {
    clearInterval(sampler);
  }
}

/** Upload, then one and 16 parallel archive downloads through one gateway; the bench process samples RSS. */
async function measureStack(
  label: string,
  gateway: string,
  file: string,
  staticUrl: string,
): Promise<Measured> {
  // the first upload into fresh processes, then UPLOADS pairs (baseline, upload) alternating: medians
  const link = await publish(gateway, file);
  const baseUps: number[] = [];
  const uploads: number[] = [];
  for (let i = 0; i < UPLOADS; i++) {
    baseUps.push(await hashAndCopy(file));
    uploads.push((await upload(gateway, file)).uploadMs);
  }
  const baseUp = median(baseUps);
  const uploadMs = median(uploads);
  await timedGet(staticUrl);
  await timedGet(link.url);
  const base = await timedGet(staticUrl);
  const dl = await timedGet(link.url);
  const base16 = await parallel(staticUrl);
  const dl16 = await parallel(link.url);
  return { label, uploadMs, baseUp, base, dl, base16, dl16 };
}

async function parallel(url: string) {
  const start = performance.now();
  const results = await Promise.all(Array.from({ length: 16 }, () => timedGet(url)));
  return { ms: performance.now() - start, bytes: results.reduce((n, r) => n + r.bytes, 0) };
}

export async function benchDownloads(pgUrl: string, natsUrl: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lf-bench-dl-"));
  const file = join(dir, "payload.bin");
  await seededFile(file, SIZE);
  const staticServer = createServer((_req, res) => {
    res.writeHead(200, { "content-length": String(SIZE), "content-type": "application/octet-stream" });
    createReadStream(file, { highWaterMark: MiB }).pipe(res);
  });
  await new Promise<void>((r) => staticServer.listen(0, "127.0.0.1", r));
  const addr = staticServer.address();
  const staticUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/payload.bin`;
  const runs: Measured[] = [];
  const rssRows: RssRow[] = [];
  let rssFile = "";
  if (RSS_SIZE > 0) {
    rssFile = join(dir, "large.bin");
    await seededFile(rssFile, RSS_SIZE);
  }
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  let rssBefore = 0;
  let embeddedPeak = 0;
  try {
    if (process.env.BENCH_DOWNLOAD_EMBEDDED !== "0") {
      const tc = createTestConfig({
        dialect: "sqlite",
        name: uniqueName("bench_dl"),
        env: { LATCHFLOW_BOOTSTRAP_TOKEN: TOKEN },
      });
      const stack = await startEmbedded(tc.config, createLogger({ level: "silent" }), () => {});
      rssBefore = process.memoryUsage.rss();
      peakRss = rssBefore;
      try {
        runs.push(await measureStack("embedded", stack.url!, file, staticUrl));
        embeddedPeak = peakRss;
        if (rssFile) {
          rssRows.push(
            ...(await measureRss("embedded", stack.url!, rssFile, {
              "bench process (server and client)": process.pid,
            })),
          );
        }
      } finally {
        await stack.stop();
        tc.cleanup();
      }
      if (rssFile) {
        rssRows.push(
          ...(await withEmbeddedProcess(TOKEN, (url, pid) =>
            measureRss("embedded", url, rssFile, { "server (`latchflow start`)": pid }),
          )),
        );
      }
    }

    if (process.env.BENCH_DOWNLOAD_DISTRIBUTED !== "0") {
      runs.push(
        await withDistributed(
          { pg: pgUrl, nats: natsUrl },
          "bench_dl_dist",
          TOKEN,
          async (gatewayUrl, dist) => {
            const measured = await measureStack("distributed", gatewayUrl, file, staticUrl);
            if (rssFile) {
              const pids = { gateway: dist.pid("gateway") ?? 0, storage: dist.pid("storage") ?? 0 };
              rssRows.push(...(await measureRss("distributed", gatewayUrl, rssFile, pids)));
            }
            return measured;
          },
        ),
      );
    }

    console.log(`\n## Upload and download through the gateway (${(SIZE / MiB).toFixed(0)} MiB file)`);
    console.log("| measurement | ms | MiB/s | speed × baseline |\n|---|---:|---:|---:|");
    for (const r of runs) {
      const upRate = mbps(SIZE, r.baseUp);
      row(`baseline (${r.label} run): sha256sum + cp (median of ${UPLOADS})`, SIZE, r.baseUp, upRate);
      row(
        `upload (${r.label}): curl → POST /api/v1/files (hash + encrypt + store, median of ${UPLOADS})`,
        SIZE,
        r.uploadMs,
        upRate,
      );
      const rate = mbps(r.base.bytes, r.base.ms);
      row(`baseline (${r.label} run): Node static file server`, r.base.bytes, r.base.ms, rate);
      row(`download (${r.label}): GET /s/{token} (encrypted archive)`, r.dl.bytes, r.dl.ms, rate);
      const rate16 = mbps(r.base16.bytes, r.base16.ms);
      row(`baseline (${r.label} run): 16 parallel static downloads`, r.base16.bytes, r.base16.ms, rate16);
      row(`16 parallel archive downloads (${r.label})`, r.dl16.bytes, r.dl16.ms, rate16);
    }
    console.log(
      `(archive = ${statSync(file).size} bytes of content + ZIP headers; goals: upload ≥ 0.70, download ≥ 0.60, ` +
        `16 parallel ≥ 0.50 × baseline${
          rssBefore > 0
            ? `; embedded bench process (server and client) RSS ${(rssBefore / MiB).toFixed(0)} MiB at start, ` +
              `peak ${(embeddedPeak / MiB).toFixed(0)} MiB while transferring`
            : ""
        })`,
    );
    if (rssRows.length > 0) {
      console.log(
        `\n## Server memory during one ${(RSS_SIZE / MiB).toFixed(0)} MiB archive download (goal: flat, < 150 MB)`,
      );
      console.log(
        "| mode | process | idle RSS MiB | peak RSS MiB | growth MiB | download MiB/s |\n|---|---|---:|---:|---:|---:|",
      );
      for (const r of rssRows) {
        const mib = (n: number) => (n / MiB).toFixed(0);
        console.log(
          `| ${r.label} | ${r.process} | ${mib(r.idle)} | ${mib(r.peak)} | ${mib(r.peak - r.idle)} | ${mbps(r.bytes, r.ms).toFixed(0)} |`,
        );
      }
    }
  } finally {
    clearInterval(sampler);
    staticServer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
