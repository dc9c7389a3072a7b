import { parseArgs } from "node:util";
import { publishPlugin } from "../publish.js";
import { readSigningKey } from "../signing-key.js";
import { type Command, out } from "./command.js";

export const publishCommand: Command = {
  name: "publish",
  usage: `publish [--dir .] [--entry src/index.ts] [--registry URL] [--tag latest] [--access public]
          [--key <signing key>]
         pack (signed with --key), then \`npm publish\` the tarball to --registry, $LATCHFLOW_PLUGIN_REGISTRY or npm's configured
         registry (npm's credentials apply); prints <name>@<version> and the sha512 integrity`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        dir: { type: "string", default: "." },
        entry: { type: "string" },
        registry: { type: "string" },
        tag: { type: "string" },
        access: { type: "string" },
        key: { type: "string" },
      },
    });
    const result = await publishPlugin({
      dir: values.dir,
      ...(values.entry !== undefined ? { entry: values.entry } : {}),
      ...(values.registry !== undefined ? { registry: values.registry } : {}),
      ...(values.tag !== undefined ? { tag: values.tag } : {}),
      ...(values.access !== undefined ? { access: values.access } : {}),
      ...(values.key !== undefined ? { key: await readSigningKey(values.key) } : {}),
    });
    out(`${result.name}@${result.version}\n${result.integrity}\n`);
    return 0;
  },
};
