#!/usr/bin/env node
// The `latchflow-plugin` command. In the Latchflow repository it runs the TypeScript sources through tsx (no
// build step); in the installed package (no src/, see "files" in package.json) it runs the built dist/node.js.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// `test` runs isolated-vm, which needs --no-node-snapshot on Node 20+: re-run ourselves with it.
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

const sources = new URL("../src/cli.ts", import.meta.url);
let main;
if (existsSync(fileURLToPath(sources))) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import("../dist/node.js"));
}
process.exitCode = await main(process.argv.slice(2));
