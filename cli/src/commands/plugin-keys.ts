// `latchflow plugins keys …`: the publisher keys admins trust (ADR 042). A package signed by a trusted key
// shows as "signed by <name>"; LATCHFLOW_PLUGIN_SIGNATURES=require refuses packages no trusted key signed.
import { readFile, stat } from "node:fs/promises";
import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";
import { defineCommand, shape } from "./command.js";
import { usageError } from "./exit-codes.js";

const access = Scope.PluginsAdmin;

/** How a plugin's signature reads in a table: "signed by Acme", "signed, key not trusted", "unsigned". */
export function signatureText(s: schemas.PluginSignature | null): string {
  if (s === null) return "built-in";
  if (s.state === "trusted") return `signed by ${s.publisher}`;
  if (s.state === "untrusted") return `signed, key not trusted (${s.signer}, ${s.keyId})`;
  return "unsigned";
}

export const keysList = defineCommand({
  path: ["plugins", "keys", "list"],
  summary: "The publisher keys you trust",
  usage: "latchflow plugins keys list",
  examples: ["latchflow plugins keys list"],
  access,
  output: {
    description: "{ items: [{ keyId, fingerprint, name, publicKey, addedBy, addedAt }] }",
    schema: shape((c) => c.z.object({ items: c.z.array(c.schemas.PublisherKey) })),
  },
  async run(ctx) {
    const result = await (await ctx.api()).listPublisherKeys();
    ctx.out.result(result, () =>
      ctx.out.table(result.items, [
        { header: "NAME", value: (k) => k.name },
        { header: "KEY ID", value: (k) => k.keyId },
        { header: "FINGERPRINT", value: (k) => k.fingerprint },
        { header: "ADDED", value: (k) => k.addedAt },
      ]),
    );
    return undefined;
  },
});

export const keysAdd = defineCommand({
  path: ["plugins", "keys", "add"],
  summary: "Trust a publisher key: the .pub file (or its ed25519:… line) from `latchflow-plugin keygen`",
  usage: "latchflow plugins keys add NAME PUBLIC_KEY|FILE",
  examples: [
    "latchflow plugins keys add 'Acme Ltd' ./acme-signing.key.pub",
    "latchflow plugins keys add 'Acme Ltd' ed25519:3q2+7w…",
  ],
  access,
  args: [
    { name: "NAME", required: true },
    { name: "PUBLIC_KEY|FILE", required: true, complete: "file" },
  ],
  output: { description: "PublisherKey", schema: shape((c) => c.schemas.PublisherKey) },
  async run(ctx) {
    const [name, ref] = ctx.args as [string, string];
    const publicKey = (await stat(ref).catch(() => undefined))?.isFile()
      ? (await readFile(ref, "utf8")).trim()
      : ref;
    if (!publicKey.startsWith("ed25519:"))
      throw usageError(`"${ref}" is neither a .pub file nor an ed25519:… public key`, ctx.commandLine);
    const k = await (await ctx.api()).addPublisherKey({ body: { name, publicKey } });
    ctx.out.result(k, () => ctx.out.line(`Trusted ${k.name}: key ${k.keyId} (${k.fingerprint})`));
    return undefined;
  },
});

export const keysRemove = defineCommand({
  path: ["plugins", "keys", "remove"],
  summary: "Stop trusting a publisher key (plugins it signed stay installed, shown as not trusted)",
  usage: "latchflow plugins keys remove KEY_ID|FINGERPRINT",
  examples: ["latchflow plugins keys remove 3f9a0c2e71d4b5a8"],
  access,
  args: [{ name: "KEY_ID|FINGERPRINT", required: true }],
  output: { description: "PublisherKey (the removed one)", schema: shape((c) => c.schemas.PublisherKey) },
  async run(ctx) {
    const k = await (await ctx.api()).removePublisherKey({ params: { key: ctx.args[0]! } });
    ctx.out.result(k, () => ctx.out.line(`No longer trusted: ${k.name} (key ${k.keyId})`));
    return undefined;
  },
});

export const keyCommands = [keysList, keysAdd, keysRemove];
