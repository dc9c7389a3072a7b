#!/usr/bin/env node
// The `latchflow` command. Runs the TypeScript sources directly through tsx (no build step).
import "./check-node.cjs"; // first: one clear line on an unsupported Node, before tsx or any dependency loads
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
