import { parseArgs } from "node:util";
import { isSandboxError, type Json } from "@latchflow/sandbox";
import { buildPlugin, PluginBuildError } from "./build.js";
import { packPlugin } from "./pack.js";
import { createTestHost, runPlugin } from "./test-harness.js";

const USAGE = `usage: latchflow-plugin <command> [options]

commands:
  build  --entry src/index.ts --out dist/plugin.js [--minify]
         bundle to one sandbox script; writes latchflow-plugin.json next to it
  test   --file dist/plugin.js --capability <key>@<major> [--input '<json>'] [--secret name=value]... [--deadline ms]
         run one capability in the sandbox with an in-memory host (kv, secrets, log, emit, mail)
  pack   [--dir .] [--entry src/index.ts] [--out <name>-<version>.tgz]
         build and write the tarball; prints its path and sha512 integrity
`;

class UsageError extends Error {}

/** Runs the command; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "build":
        return await build(rest);
      case "test":
        return await test(rest);
      case "pack":
        return await pack(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && "code" in err)) {
      // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes
      fail(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof PluginBuildError) {
      fail(err.message);
      return 1;
    }
    if (isSandboxError(err)) {
      fail(`${err.code}: ${err.message}`);
      return 1;
    }
    fail(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

async function build(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      entry: { type: "string", default: "src/index.ts" },
      out: { type: "string", default: "dist/plugin.js" },
      minify: { type: "boolean", default: false },
    },
  });
  const result = await buildPlugin({ entry: values.entry, outFile: values.out, minify: values.minify });
  out(`built ${result.outFile} (${Buffer.byteLength(result.code)} bytes)\n`);
  if (result.manifestFile) out(`manifest ${result.manifestFile}\n`);
  else out("warning: no manifest (the entry does not call definePlugin)\n");
  return 0;
}

async function test(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      file: { type: "string", default: "dist/plugin.js" },
      capability: { type: "string" },
      input: { type: "string", default: "null" },
      secret: { type: "string", multiple: true, default: [] },
      deadline: { type: "string", default: "10000" },
    },
  });
  if (!values.capability) throw new UsageError("test needs --capability <key>@<major>");
  let input: Json;
  try {
    input = JSON.parse(values.input) as Json;
  } catch {
    throw new UsageError("--input is not valid JSON");
  }
  const secrets: Record<string, string> = {};
  for (const pair of values.secret) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--secret expects name=value, got "${pair}"`);
    secrets[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const deadlineMs = Number(values.deadline);
  if (!Number.isFinite(deadlineMs) || deadlineMs <= 0)
    throw new UsageError("--deadline must be milliseconds");
  const record = createTestHost({ secrets });
  const output = await runPlugin({
    file: values.file,
    capability: values.capability,
    input,
    host: record.host,
    deadlineMs,
  });
  const report = {
    output,
    logs: record.logs,
    emits: record.emits,
    mails: record.mails,
    kv: Object.fromEntries(record.kv),
  };
  out(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

async function pack(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: "string", default: "." },
      entry: { type: "string" },
      out: { type: "string" },
    },
  });
  const result = await packPlugin({
    dir: values.dir,
    ...(values.entry !== undefined ? { entry: values.entry } : {}),
    ...(values.out !== undefined ? { outFile: values.out } : {}),
  });
  out(`${result.file}\n${result.integrity}\n`);
  return 0;
}

function out(text: string): void {
  process.stdout.write(text);
}

function fail(text: string): void {
  process.stderr.write(`latchflow-plugin: ${text}\n`);
}
