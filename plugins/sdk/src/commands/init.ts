import { parseArgs } from "node:util";
import { scaffoldPlugin } from "../scaffold/scaffold.js";
import { type Command, out, UsageError } from "./command.js";

export const initCommand: Command = {
  name: "init",
  usage: `init   <dir> [--name latchflow-plugin-<name>]
         create a plugin in a new folder: src/index.ts (action hello@1), a test, a README, package.json`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { name: { type: "string" } },
    });
    if (positionals.length !== 1) throw new UsageError("init needs one folder: latchflow-plugin init <dir>");
    const dir = positionals[0]!;
    const result = await scaffoldPlugin({ dir, ...(values.name !== undefined ? { name: values.name } : {}) });
    out(
      `created ${result.name} in ${dir}\n${result.files.map((f) => `  ${f}`).join("\n")}\n\n` +
        `next:\n  cd ${dir}\n  npm install\n  npm test\n`,
    );
    return 0;
  },
};
