// `latchflow plugins …`: built-in and installed plugins, their capabilities, egress hosts and write-only secrets
// (@latchflow/api's plugins area; plugins:admin). Secret values come from stdin or a prompt without echo, never
// from argv unless --value is given explicitly (with a warning).
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";
import { defineCommand, shape } from "./command.js";
import { CliError, ExitCode, usageError } from "./exit-codes.js";
import type { Output } from "./output.js";
import { keyCommands, signatureText } from "./plugin-keys.js";
import { confirm, isInteractive, promptSecret, readStdin } from "./prompt.js";

const nameArg = { name: "PLUGIN", required: true } as const;
const access = Scope.PluginsAdmin;

function showPlugin(out: Output, p: schemas.Plugin): void {
  out.fields([
    ["name", p.name],
    ["version", p.version],
    ["source", p.source],
    ["integrity", p.integrity || "-"],
    ["signature", signatureText(p.signature)],
    ["requested hosts", p.requestedHosts.join(", ") || "-"],
    ["approved hosts", p.approvedHosts.join(", ") || "-"],
    ["installed", p.installedAt],
  ]);
  out.line();
  out.table(p.capabilities, [
    { header: "CAPABILITY", value: (c) => c.uses },
    { header: "KIND", value: (c) => c.kind },
    { header: "ENABLED", value: (c) => (c.enabled ? "yes" : "no") },
  ]);
}

export const list = defineCommand({
  path: ["plugins", "list"],
  summary: "Built-in and installed plugins, with their capabilities",
  usage: "latchflow plugins list",
  examples: ["latchflow plugins list", "latchflow plugins list --json | jq '.items[].capabilities'"],
  access,
  output: {
    description:
      "{ items: Plugin[] } — Plugin: { name, version, source: builtin|tarball|registry, integrity, capabilities: [{ uses, kind, enabled }], requestedHosts, approvedHosts, manifest, installedAt, updatedAt, signature: { state: trusted|untrusted|unsigned, keyId, fingerprint, signer, publisher } | null }",
    schema: shape((c) => c.z.object({ items: c.z.array(c.schemas.Plugin) })),
  },
  async run(ctx) {
    const result = await (await ctx.api()).listPlugins();
    ctx.out.result(result, () =>
      ctx.out.table(result.items, [
        { header: "NAME", value: (p) => p.name },
        { header: "VERSION", value: (p) => p.version },
        { header: "SOURCE", value: (p) => p.source },
        { header: "SIGNATURE", value: (p) => signatureText(p.signature) },
        {
          header: "CAPABILITIES",
          value: (p) => p.capabilities.map((c) => `${c.uses}${c.enabled ? "" : " (off)"}`).join(", "),
        },
        { header: "HOSTS", value: (p) => p.approvedHosts.join(", ") || "-" },
      ]),
    );
    return undefined;
  },
});

/** npm's `dist.integrity` form, which the server checks the upload against. */
const integrityOf = (bytes: Buffer) => `sha512-${createHash("sha512").update(bytes).digest("base64")}`;

export const install = defineCommand({
  path: ["plugins", "install"],
  summary: "Install or upgrade a plugin from a tarball, or from the server's npm registry by name",
  usage: "latchflow plugins install TARBALL | NAME[@VERSION]",
  examples: [
    "latchflow plugins install ./latchflow-plugin-sms-1.2.0.tgz",
    "latchflow plugins install latchflow-plugin-sms@1.2.0",
  ],
  access: `${access}. A name is fetched by the server from the npm registry it is configured with (LATCHFLOW_PLUGIN_REGISTRY), its sha512 checked`,
  args: [{ name: "TARBALL|NAME", required: true, complete: "file" }],
  output: {
    description: "Plugin (a new one's capabilities start disabled; an upgrade says what it kept)",
    schema: shape((c) => c.schemas.InstalledPlugin),
  },
  async run(ctx) {
    const ref = ctx.args[0]!;
    const api = await ctx.api();
    const info = await stat(ref).catch(() => undefined);
    let p: schemas.InstalledPlugin;
    if (info?.isFile()) {
      const bytes = await readFile(ref);
      p = await api.installPlugin({
        body: bytes,
        contentType: "application/gzip",
        headers: { "x-latchflow-integrity": integrityOf(bytes) },
      });
    } else if (/^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*(@[^\s/]+)?$/.test(ref)) {
      p = await api.installPlugin({
        body: JSON.stringify({ package: ref }),
        contentType: "application/json",
      });
    } else {
      throw usageError(`"${ref}" is neither a file nor an npm package name`, ctx.commandLine);
    }
    ctx.out.result(p, () => {
      const up = p.upgrade;
      if (up === undefined) {
        ctx.out.line(`Installed ${p.name} ${p.version} (${p.source})`);
        ctx.out.note(`its capabilities start disabled: latchflow plugins enable ${p.name}`);
      } else {
        ctx.out.line(`Upgraded ${p.name} from ${up.from} to ${p.version} (${p.source})`);
        if (up.kept.length > 0) ctx.out.note(`still enabled: ${up.kept.join(", ")}`);
        if (up.newPermissions.length > 0) {
          const asks = up.newPermissions.map((n) =>
            n.hosts.length ? `${n.name} (${n.hosts.join(", ")})` : n.name,
          );
          ctx.out.note(
            `${ctx.out.style("yellow", "it asks for more:", true)} ${asks.join(", ")}; waiting disabled until you enable them: ${up.awaitingApproval.join(", ") || "(none)"}`,
          );
        }
        if (up.removed.length > 0) ctx.out.note(`no longer provided: ${up.removed.join(", ")}`);
      }
      ctx.out.note(`signature: ${signatureText(p.signature)}`);
      for (const w of p.warnings ?? []) ctx.out.note(`${ctx.out.style("yellow", "warning:", true)} ${w}`);
      if (p.requestedHosts.length > 0) {
        ctx.out.note(
          `it asks to reach ${p.requestedHosts.join(", ")}: latchflow plugins approve-hosts ${p.name} HOST…`,
        );
      }
    });
    return undefined;
  },
});

function setEnabled(enabled: boolean) {
  const verb = enabled ? "enable" : "disable";
  return defineCommand({
    path: ["plugins", verb],
    summary: `${enabled ? "Enable" : "Disable"} a plugin's capabilities (all of them, or those named)`,
    usage: `latchflow plugins ${verb} PLUGIN [CAPABILITY...]${enabled ? "" : " [--force]"}`,
    examples: [
      `latchflow plugins ${verb} latchflow-plugin-sms`,
      `latchflow plugins ${verb} latchflow-plugin-sms sms@1`,
    ],
    access,
    args: [nameArg, { name: "CAPABILITY", variadic: true }],
    options: enabled
      ? {}
      : {
          force: {
            type: "boolean",
            description: "disable even what enabled pipelines use (their runs then fail; they are listed)",
          },
        },
    output: { description: "Plugin", schema: shape((c) => c.schemas.UpdatedPlugin) },
    async run(ctx) {
      const [name, ...named] = ctx.args as [string, ...string[]];
      const api = await ctx.api();
      const uses =
        named.length > 0
          ? named
          : (await api.getPlugin({ params: { name } })).capabilities.map((c) => c.uses);
      const force = (ctx.options as { force?: boolean }).force === true;
      const p = await api.updatePlugin({
        params: { name },
        body: {
          capabilities: Object.fromEntries(uses.map((u) => [u, enabled])),
          ...(force ? { force } : {}),
        },
      });
      ctx.out.result(p, () => {
        showPlugin(ctx.out, p);
        for (const u of p.disabledInUse ?? []) {
          ctx.out.note(
            `${ctx.out.style("yellow", "warning:", true)} ${u.uses} is disabled but enabled pipelines use it: ${u.pipelines.join(", ")} (their runs fail with capability_unavailable)`,
          );
        }
      });
      return undefined;
    },
  });
}

export const uninstall = defineCommand({
  path: ["plugins", "uninstall"],
  summary: "Uninstall a plugin and delete its secrets (refused while a pipeline uses it)",
  usage: "latchflow plugins uninstall PLUGIN [--yes]",
  examples: ["latchflow plugins uninstall latchflow-plugin-sms --yes"],
  access,
  args: [nameArg],
  options: { yes: { type: "boolean", short: "y", description: "uninstall without asking" } },
  output: { description: "Plugin (the uninstalled one)", schema: shape((c) => c.schemas.Plugin) },
  async run(ctx) {
    const name = ctx.args[0]!;
    if (!ctx.options.yes && !(await confirm(`Uninstall ${name} and delete its secrets?`, ctx.commandLine))) {
      ctx.out.note("Nothing uninstalled.");
      return ExitCode.Error;
    }
    const p = await (await ctx.api()).uninstallPlugin({ params: { name } });
    ctx.out.result(p, () => ctx.out.line(`Uninstalled ${p.name} ${p.version}`));
    return undefined;
  },
});

export const approveHosts = defineCommand({
  path: ["plugins", "approve-hosts"],
  summary: "Let a plugin reach hosts it asks for (added to those approved; --replace sets the list)",
  usage: "latchflow plugins approve-hosts PLUGIN HOST... [--replace]",
  examples: [
    "latchflow plugins approve-hosts latchflow-http api.example.com",
    "latchflow plugins approve-hosts latchflow-plugin-sms --replace   # approve none",
  ],
  access,
  args: [nameArg, { name: "HOST", variadic: true }],
  options: {
    replace: {
      type: "boolean",
      description: "the hosts given become the whole approved list (none: revoke all)",
    },
  },
  output: { description: "Plugin", schema: shape((c) => c.schemas.Plugin) },
  async run(ctx) {
    const [name, ...hosts] = ctx.args as [string, ...string[]];
    if (hosts.length === 0 && !ctx.options.replace)
      throw usageError("name at least one HOST", ctx.commandLine);
    const api = await ctx.api();
    const current = ctx.options.replace ? [] : (await api.getPlugin({ params: { name } })).approvedHosts;
    const p = await api.updatePlugin({
      params: { name },
      body: { approvedHosts: [...new Set([...current, ...hosts])] },
    });
    ctx.out.result(p, () =>
      ctx.out.line(`${p.name} may reach: ${p.approvedHosts.join(", ") || "(no host)"}`),
    );
    return undefined;
  },
});

/** The secret's value: --value (warned), a prompt without echo at a terminal, or all of stdin. */
async function secretValue(
  ctx: { options: { value?: string }; out: Output; commandLine: string },
  secret: string,
) {
  if (ctx.options.value !== undefined) {
    ctx.out.note(
      `${ctx.out.style("yellow", "warning:", true)} a value given with --value is visible to other users in the process list and kept in your shell history; prefer stdin or the prompt`,
    );
    return ctx.options.value;
  }
  return isInteractive() ? await promptSecret(`Value of ${secret} (not shown): `) : await readStdin();
}

export const secretsList = defineCommand({
  path: ["plugins", "secrets", "list"],
  summary: "Names of a plugin's secrets (values never come back)",
  usage: "latchflow plugins secrets list PLUGIN",
  examples: ["latchflow plugins secrets list latchflow-plugin-sms"],
  access,
  args: [nameArg],
  output: {
    description: "{ items: [{ plugin, name, updatedAt }] }",
    schema: shape((c) => c.z.object({ items: c.z.array(c.schemas.PluginSecret) })),
  },
  async run(ctx) {
    const result = await (await ctx.api()).listPluginSecrets({ params: { name: ctx.args[0]! } });
    ctx.out.result(result, () =>
      ctx.out.table(result.items, [
        { header: "SECRET", value: (s) => s.name },
        { header: "UPDATED", value: (s) => s.updatedAt },
      ]),
    );
    return undefined;
  },
});

export const secretsSet = defineCommand({
  path: ["plugins", "secrets", "set"],
  summary: "Set a plugin secret: the value is read from stdin, or typed at a prompt without echo",
  usage: "latchflow plugins secrets set PLUGIN SECRET [--value VALUE]",
  examples: [
    "latchflow plugins secrets set latchflow-plugin-sms apiKey          # prompts, no echo",
    "pass show sms/api-key | latchflow plugins secrets set latchflow-plugin-sms apiKey",
  ],
  access,
  args: [nameArg, { name: "SECRET", required: true }],
  options: {
    value: {
      type: "string",
      value: "VALUE",
      description: "the value on the command line (warned against: visible in the process list and history)",
    },
  },
  output: {
    description: "{ plugin, name, updatedAt } (never the value)",
    schema: shape((c) => c.schemas.PluginSecret),
  },
  async run(ctx) {
    const [name, secret] = ctx.args as [string, string];
    const value = await secretValue(ctx, secret);
    if (value === "") {
      throw new CliError(
        "the secret's value is empty",
        ExitCode.Usage,
        "pipe the value on stdin, or type it at the prompt",
        "usage",
      );
    }
    const s = await (await ctx.api()).setPluginSecret({ params: { name, secret }, body: { value } });
    ctx.out.result(s, () => ctx.out.line(`Set secret ${s.name} of ${s.plugin}`));
    return undefined;
  },
});

export const secretsRm = defineCommand({
  path: ["plugins", "secrets", "rm"],
  summary: "Delete a plugin secret",
  usage: "latchflow plugins secrets rm PLUGIN SECRET",
  examples: ["latchflow plugins secrets rm latchflow-plugin-sms apiKey"],
  access,
  args: [nameArg, { name: "SECRET", required: true }],
  output: { description: "{ plugin, name, updatedAt }", schema: shape((c) => c.schemas.PluginSecret) },
  async run(ctx) {
    const [name, secret] = ctx.args as [string, string];
    const s = await (await ctx.api()).deletePluginSecret({ params: { name, secret } });
    ctx.out.result(s, () => ctx.out.line(`Deleted secret ${s.name} of ${s.plugin}`));
    return undefined;
  },
});

export const show = defineCommand({
  path: ["plugins", "show"],
  summary: "One plugin: version, source, capabilities, requested and approved hosts",
  usage: "latchflow plugins show PLUGIN",
  examples: ["latchflow plugins show latchflow-http"],
  access,
  args: [nameArg],
  output: { description: "Plugin", schema: shape((c) => c.schemas.Plugin) },
  async run(ctx) {
    const p = await (await ctx.api()).getPlugin({ params: { name: ctx.args[0]! } });
    ctx.out.result(p, () => showPlugin(ctx.out, p));
    return undefined;
  },
});

export const enable = setEnabled(true);
export const disable = setEnabled(false);

export const commands = [
  list,
  show,
  install,
  enable,
  disable,
  uninstall,
  approveHosts,
  secretsList,
  secretsSet,
  secretsRm,
  ...keyCommands,
];
