import { parseArgs } from "node:util";
import { packPlugin } from "../pack.js";
import { type Command, out } from "./command.js";

export const packCommand: Command = {
  name: "pack",
  usage: `pack   [--dir .] [--entry src/index.ts] [--out <name>-<version>.tgz]
         build and write the tarball; prints its path and sha512 integrity`,
  async run(args) {
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
  },
};
