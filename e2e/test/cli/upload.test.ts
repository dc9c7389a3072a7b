// `latchflow files upload` of a ~300 MB folder on a terminal (tmux): progress with rate and ETA, interrupted
// midway with Ctrl-C, then run again: the files already there are skipped, the rest uploaded, none twice.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "@latchflow/cli/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OWNER_TOKEN, type Stack, startStack } from "../stack.js";
import { Operator, waitFor } from "./helpers.js";

const FILES = 30;
const FILE_BYTES = 10 * 1024 * 1024; // 30 × 10 MiB ≈ 315 MB
const SESSION = `lf-upload-${process.pid}`;

const tmux = (...args: string[]) => execFileSync("tmux", args).toString();
const screen = () => {
  try {
    return tmux("capture-pane", "-p", "-t", SESSION, "-S", "-50");
  } catch {
    return "";
  }
};

describe("files upload: progress on a terminal, interrupted and resumed", () => {
  let s: Stack;
  let op: Operator;
  const hashes = new Map<string, string>();

  beforeAll(async () => {
    s = await startStack("sqlite", "in-process", "cli-upload");
    op = new Operator();
    const dir = join(op.home, "big");
    mkdirSync(dir);
    for (let i = 0; i < FILES; i++) {
      const name = `part-${String(i).padStart(2, "0")}.bin`;
      const bytes = randomBytes(FILE_BYTES);
      writeFileSync(join(dir, name), bytes);
      hashes.set(name, createHash("sha256").update(bytes).digest("hex"));
    }
  });
  afterAll(async () => {
    try {
      tmux("kill-session", "-t", SESSION);
    } catch {}
    await s?.stop();
    op?.remove(); // the 300 MB folder goes with it
  });

  const serverFiles = async () =>
    (await s.client().listFiles({ query: { folder: "/in/big", limit: 200 } })).items;

  it("shows rate and ETA, stops on Ctrl-C, and a second run uploads only what is missing", async () => {
    const env = op.env({ LATCHFLOW_SERVER: s.base, LATCHFLOW_TOKEN: OWNER_TOKEN, TERM: "xterm" });
    const vars = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const command = `'${process.execPath}' '${BIN}' files upload '${join(op.home, "big")}' --folder /in; echo EXIT=$?; sleep 600`;
    tmux("new-session", "-d", "-s", SESSION, "-x", "160", "-y", "20", ...vars, "bash", "-c", command);
    // a progress line: percentage, bytes so far of the total, rate and ETA
    const line = await waitFor(
      screen,
      /(\[[#-]{20}\]\s+\d+% [\d.]+ [kMG]?B\/315 MB [\d.]+ [kMG]?B\/s ETA \d+:\d\d)/,
      60_000,
    );
    expect(line).toMatch(/ETA \d+:\d\d/);
    // interrupt once some files are stored and some are not
    const deadline = Date.now() + 120_000;
    while ((await serverFiles()).length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    tmux("send-keys", "-t", SESSION, "C-c");
    const exit = await waitFor(screen, /EXIT=(\d+)/, 30_000);
    expect(exit).toBe("1");
    expect(screen()).toContain("run the same command again");
    const before = await serverFiles();
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(FILES);

    const again = await op.json(["files", "upload", join(op.home, "big"), "--folder", "/in"], {
      LATCHFLOW_SERVER: s.base,
      LATCHFLOW_TOKEN: OWNER_TOKEN,
    });
    const result = again as { uploaded: { name: string }[]; skipped: { file: { name: string } }[] };
    // what was stored is skipped; a file whose bytes had all arrived when Ctrl-C came may have been stored since
    // `before` was read (the server finishes a complete upload), and is skipped too — never stored twice (below)
    const skipped = result.skipped.map((x) => x.file.name);
    expect(skipped).toEqual(expect.arrayContaining(before.map((f) => f.name)));
    expect(result.uploaded.length).toBeGreaterThan(0);
    expect(result.uploaded.length + result.skipped.length).toBe(FILES);

    const after = await serverFiles();
    expect(after).toHaveLength(FILES); // nothing twice
    for (const f of after) expect(f.sha256, f.name).toBe(hashes.get(f.name));
  }, 400_000);
});
