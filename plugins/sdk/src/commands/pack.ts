import { parseArgs } from "node:util";
import { packPlugin } from "../pack.js";
import { readSigningKey } from "../signing-key.js";
import { type Command, out } from "./command.js";

export const packCommand: Command = {
  name: "pack",
  usage: `pack   [--dir .] [--entry src/index.ts] [--out <name>-<version>.tgz] [--key <signing key>]
         build and write the tarball (signed with --key); prints its path and sha512 integrity`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        dir: { type: "string", default: "." },
        entry: { type: "string" },
        out: { type: "string" },
        key: { type: "string" },
      },
    });
    const result = await packPlugin({
      dir: values.dir,
      ...(values.entry !== undefined ? { entry: values.entry } : {}),
      ...(values.out !== undefined ? { outFile: values.out } : {}),
      ...(values.key !== undefined ? { key: await readSigningKey(values.key) } : {}),
    });
    out(`${result.file}\n${result.integrity}\n`);
    return 0;
  },
};
