#!/usr/bin/env node
// The `latchflow` command. First the Node check: one clear line on an unsupported Node, before tsx or any
// dependency is even resolved. Operator commands (REST only) run from a prebuilt bundle when one can be
// built (fast start, ADR 023); everything else runs the TypeScript sources directly through tsx (ADR 001).
import "./check-node.cjs";

import { enableCompileCache } from "node:module";

// V8's code cache on disk (Node ≥ 22.1): the bundle's ~0.8 MB is compiled once, not on every run
enableCompileCache?.();
const argv = process.argv.slice(2);
const first = argv[0];
const launcher = first === undefined || ["start", "keys", "audit", "help", "--help", "-h"].includes(first);
const operator =
  launcher || process.env.LATCHFLOW_CLI_BUNDLE === "off"
    ? undefined
    : await (await import("../scripts/operator-bundle.mjs")).loadOperatorBundle();
if (operator?.isOperatorArgv(argv)) {
  process.exitCode = await operator.runOperator(argv);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../src/main.ts");
  process.exitCode = await main(argv);
}
