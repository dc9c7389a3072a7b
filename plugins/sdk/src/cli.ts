import { isSandboxError } from "@latchflow/sandbox";
import { PluginBuildError } from "./build.js";
import { buildCommand } from "./commands/build.js";
import { type Command, out, UsageError } from "./commands/command.js";
import { initCommand } from "./commands/init.js";
import { keygenCommand } from "./commands/keygen.js";
import { packCommand } from "./commands/pack.js";
import { publishCommand } from "./commands/publish.js";
import { signCommand } from "./commands/sign.js";
import { testCommand } from "./commands/test.js";
import { verifyCommand } from "./commands/verify.js";
import { ScaffoldError } from "./scaffold/scaffold.js";
import { SignatureError } from "./signature.js";

/** Every command, in the order the usage text lists them: one line per command file. */
const COMMANDS: readonly Command[] = [
  initCommand,
  buildCommand,
  testCommand,
  packCommand,
  publishCommand,
  keygenCommand,
  signCommand,
  verifyCommand,
];

const USAGE = `usage: latchflow-plugin <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.usage}`).join("\n")}
`;

/** Runs the command; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
      out(USAGE);
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command "${name}"`);
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && "code" in err)) {
      // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes
      fail(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof PluginBuildError || err instanceof ScaffoldError) {
      fail(err.message);
      return 1;
    }
    if (err instanceof SignatureError) {
      fail(`signature ${err.reason}: ${err.message}`);
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

function fail(text: string): void {
  process.stderr.write(`latchflow-plugin: ${text}\n`);
}
