import { parseArgs } from "node:util";
import { buildPlugin } from "../build.js";
import { type Command, out } from "./command.js";

export const buildCommand: Command = {
  name: "build",
  usage: `build  --entry src/index.ts --out dist/plugin.js [--minify]
         bundle to one sandbox script; writes latchflow-plugin.json next to it`,
  async run(args) {
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
  },
};
