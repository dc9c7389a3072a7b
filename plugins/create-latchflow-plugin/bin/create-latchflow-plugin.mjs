#!/usr/bin/env node
// `npm create latchflow-plugin <dir>`: the SDK's `latchflow-plugin init <dir>`, from its installed build.
import { main } from "@latchflow/plugin-sdk/node";

process.exitCode = await main(["init", ...process.argv.slice(2)]);
