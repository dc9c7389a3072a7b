#!/usr/bin/env node
// The `latchflow` command. Runs the TypeScript sources directly through tsx (no build step).
// First the Node check: one clear line on an unsupported Node, before tsx or any dependency is even resolved.
import "./check-node.cjs";

const { register } = await import("tsx/esm/api");
register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
