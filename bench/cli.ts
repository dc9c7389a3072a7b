// The operator CLI (ADR 023), against baselines measured in the same run:
//   startup  `latchflow bundles list --json` wall time (a real request to an embedded server)  vs  `node -e 0`
//            (goal: p50 < 3× node -e 0)
//   upload   `latchflow files upload FILE`  vs  `curl -T FILE` to the same endpoint (POST /api/v1/files)
import { spawn } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { startEmbedded } from "@latchflow/cli";
import { BIN } from "@latchflow/cli/testing";
import { createLogger } from "@latchflow/runtime";
import { createTestConfig } from "@latchflow/runtime/testing";
import { uniqueName } from "@latchflow/testing";
import { printTable, summarize, timeEach } from "./stats.js";

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_CLI_UPLOAD_BYTES ?? 256 * MiB);
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 15);
const TOKEN = "bench-cli-token-0123456789abcdef";

async function randomFile(path: string, size: number) {
  const cipher = createCipheriv("aes-256-ctr", randomBytes(32), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  async function* gen() {
    for (let left = size; left > 0; left -= MiB) yield cipher.update(zeros.subarray(0, Math.min(MiB, left)));
  }
  await pipeline(gen(), createWriteStream(path, { highWaterMark: MiB }));
}

/** Runs a process to its end without blocking this one (the server under test runs in this process). */
function spawnOk(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} → ${code}: ${err}`)),
    );
  });
}

export async function benchCli(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lf-bench-cli-"));
  const tc = createTestConfig({
    dialect: "sqlite",
    name: uniqueName("bench_cli"),
    env: { LATCHFLOW_BOOTSTRAP_TOKEN: TOKEN },
  });
  const stack = await startEmbedded(tc.config, createLogger({ level: "silent" }), () => {});
  const env = {
    ...process.env,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, "config"),
    LATCHFLOW_SERVER: stack.url!,
    LATCHFLOW_TOKEN: TOKEN,
  };
  try {
    // the first run may build the operator bundle and fill V8's code cache: a warm-up, as on any machine
    await spawnOk(process.execPath, [BIN, "bundles", "list", "--json"], env);
    const node0: number[] = [];
    const list: number[] = [];
    await timeEach(RUNS, async () => {
      let t = performance.now();
      await spawnOk(process.execPath, ["-e", "0"], env);
      node0.push(performance.now() - t);
      t = performance.now();
      await spawnOk(process.execPath, [BIN, "bundles", "list", "--json"], env);
      list.push(performance.now() - t);
    });
    const base = summarize("node -e 0", node0);
    printTable(
      "CLI startup (goal: bundles list p50 < 3× node -e 0)",
      [base, summarize("latchflow bundles list --json", list)],
      base,
    );

    const file = join(dir, "payload.bin");
    await randomFile(file, SIZE);
    const curl: number[] = [];
    const cli: number[] = [];
    await timeEach(3, async (i) => {
      let t = performance.now();
      await spawnOk(
        "curl",
        [
          "-sf",
          "-o",
          "/dev/null",
          "-T",
          file,
          "-X",
          "POST",
          "-H",
          `Authorization: Bearer ${TOKEN}`,
          "-H",
          "Content-Type: application/octet-stream",
          "-H",
          `X-File-Name: curl-${i}.bin`,
          "-H",
          "X-Folder: /bench-curl",
          `${stack.url}/api/v1/files`,
        ],
        env,
      );
      curl.push(performance.now() - t);
      t = performance.now();
      // a new folder each time, so the CLI uploads rather than skipping what is there
      await spawnOk(
        process.execPath,
        [BIN, "files", "upload", file, "--folder", `/bench-cli-${i}`, "--json"],
        env,
      );
      cli.push(performance.now() - t);
    });
    const curlSummary = summarize(`curl -T (${SIZE / MiB} MiB)`, curl);
    printTable(
      "CLI upload vs curl -T, same file, same endpoint",
      [curlSummary, summarize(`latchflow files upload (${SIZE / MiB} MiB)`, cli)],
      curlSummary,
    );
    console.log(
      `curl ${(SIZE / MiB / (curlSummary.p50 / 1000)).toFixed(0)} MiB/s, CLI ${(SIZE / MiB / (summarize("", cli).p50 / 1000)).toFixed(0)} MiB/s (p50)`,
    );
  } finally {
    await stack.stop();
    tc.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("cli.ts")) await benchCli();
