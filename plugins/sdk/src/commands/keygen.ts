import { parseArgs } from "node:util";
import { DEFAULT_KEY_PATH, writeNewSigningKey } from "../signing-key.js";
import { type Command, out, UsageError } from "./command.js";

export const keygenCommand: Command = {
  name: "keygen",
  usage: `keygen --name <publisher> [--out ${DEFAULT_KEY_PATH.replace(/^.*\/\.latchflow/, "~/.latchflow")}]
         make an Ed25519 signing key: <out> (private, mode 0600, never printed) and <out>.pub;
         prints the public key, its key id and fingerprint (give them to the admins who trust you)`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { name: { type: "string" }, out: { type: "string", default: DEFAULT_KEY_PATH } },
    });
    if (values.name === undefined) throw new UsageError("keygen needs --name <publisher>");
    const key = await writeNewSigningKey(values.out, values.name);
    out(
      `private key: ${key.privateKeyFile}\npublic key file: ${key.publicKeyFile}\npublic key: ${key.publicKey}\nkey id: ${key.keyId}\nfingerprint: ${key.fingerprint}\n`,
    );
    return 0;
  },
};
