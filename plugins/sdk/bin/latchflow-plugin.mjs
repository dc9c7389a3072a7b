#!/usr/bin/env node
// The `latchflow-plugin` command. Runs the TypeScript sources directly through tsx (no build step).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// `test` runs isolated-vm, which needs --no-node-snapshot on Node 20: re-run ourselves with it.
const hasFlag =
  process.execArgv.includes("--no-node-snapshot") ||
  (process.env.NODE_OPTIONS ?? "").includes("--no-node-snapshot");
if (process.argv[2] === "test" && !hasFlag) {
  const child = spawnSync(
    process.execPath,
    ["--no-node-snapshot", ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}

const { register } = await import("tsx/esm/api");
register();
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
