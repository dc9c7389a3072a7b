#!/usr/bin/env node
// The `latchflow` command. First the Node check: on an unsupported Node the same command runs again on the
// pinned Node 24 (or stops with one line saying why it cannot), before tsx or any dependency is even resolved
// (ADR 081). Operator commands (REST only) run from a prebuilt bundle (fast start, ADR 023), everything else
// (the server's commands) from a second one (less memory, ADR 077); each is built when missing or older than
// its sources. Where one cannot be built, the TypeScript sources run through tsx (ADR 001), as they do
// everywhere with LATCHFLOW_CLI_BUNDLE=off.

// a namespace import: a named one would fail to link on an old Node before the relaunch below
import * as nodeModule from "node:module";
import supportedNode from "./supported-node.cjs";

if (!supportedNode.relaunchOnSupportedNode()) {
  // V8's code cache on disk (Node ≥ 22.1): the bundle's ~0.8 MB is compiled once, not on every run
  nodeModule.enableCompileCache?.();
  const argv = process.argv.slice(2);
  const first = argv[0];
  const launcher = first === undefined || ["start", "keys", "audit", "help", "--help", "-h"].includes(first);
  const bundles = process.env.LATCHFLOW_CLI_BUNDLE !== "off";
  const operator =
    launcher || !bundles
      ? undefined
      : await (await import("../scripts/operator-bundle.mjs")).loadOperatorBundle();
  if (operator?.isOperatorArgv(argv)) {
    process.exitCode = await operator.runOperator(argv);
  } else {
    const bundled = bundles
      ? await (await import("../scripts/launcher-bundle.mjs")).loadLauncherBundle()
      : undefined;
    let main = bundled?.main;
    if (!main) {
      const { register } = await import("tsx/esm/api");
      register();
      ({ main } = await import("../src/main.ts"));
    }
    process.exitCode = await main(argv);
  }
}
