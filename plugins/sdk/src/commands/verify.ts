import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { verifyTarball } from "../sign-package.js";
import { type Command, out, UsageError } from "./command.js";

export const verifyCommand: Command = {
  name: "verify",
  usage: `verify <tarball>
         check the tarball's signature as the server does: prints who signed it (exit 0), "unsigned" (exit 1),
         or why the signature does not hold (exit 1)`,
  async run(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const [file] = positionals;
    if (file === undefined || positionals.length > 1) throw new UsageError("verify takes one tarball");
    const signed = verifyTarball(await readFile(file));
    if (signed === undefined) {
      out("unsigned\n");
      return 1;
    }
    out(`signed by ${signed.signer}\nkey id: ${signed.keyId}\nfingerprint: ${signed.fingerprint}\n`);
    return 0;
  },
};
