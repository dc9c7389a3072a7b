import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { integrityOf, packPlugin } from "../pack.js";
import { signTarball } from "../sign-package.js";
import { DEFAULT_KEY_PATH, readSigningKey } from "../signing-key.js";
import { type Command, out, UsageError } from "./command.js";

export const signCommand: Command = {
  name: "sign",
  usage: `sign   [--key ~/.latchflow/plugin-signing.key] (<tarball> | --dir .)
         sign a packed tarball in place (or pack --dir, then sign) with package/latchflow-signature.json;
         prints the tarball's path, its new sha512 integrity and the key id`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { key: { type: "string", default: DEFAULT_KEY_PATH }, dir: { type: "string" } },
    });
    if ((positionals.length === 1) === (values.dir !== undefined)) {
      throw new UsageError("sign takes one tarball, or --dir <plugin folder>");
    }
    const key = await readSigningKey(values.key);
    const file =
      positionals[0] !== undefined
        ? resolve(positionals[0])
        : (await packPlugin({ dir: values.dir ?? "." })).file;
    const signed = signTarball(await readFile(file), key).tarball;
    await writeFile(file, signed);
    out(`${file}\n${integrityOf(signed)}\nsigned by ${key.signer} (key ${key.keyId})\n`);
    return 0;
  },
};
