// `latchflow tokens …`: API tokens over REST (@latchflow/api's tokens area). A new secret is printed once, alone
// on stdout (so `… | pass insert -m` or `$(…)` take it whole), with the warning on stderr.
import type { schemas } from "@latchflow/api";
import { ALL_SCOPES, Scope } from "@latchflow/api/scopes";
import { defineCommand, shape } from "./command.js";
import { usageError } from "./exit-codes.js";
import type { Output } from "./output.js";

const idArg = { name: "ID", required: true } as const;

function printSecret(out: Output, created: schemas.CreatedToken, what: string): void {
  out.result(created, () => {
    out.line(created.token);
    out.note(
      `${out.style("yellow", "warning:", true)} ${what} token ${created.info.name} (${created.info.id}). This is the only time its secret is shown: store it now, e.g. in a password manager.`,
    );
  });
}

export const list = defineCommand({
  path: ["tokens", "list"],
  summary: "List your API tokens (--all: every user's you may manage)",
  usage: "latchflow tokens list [--all]",
  examples: [
    "latchflow tokens list",
    "latchflow tokens list --all --json | jq '.items[] | select(.revokedAt == null)'",
  ],
  access: `${Scope.TokensRead}; --all needs ${Scope.UsersAdmin}`,
  options: { all: { type: "boolean", description: "the tokens of every user you may manage" } },
  output: {
    description:
      "{ items: Token[] } — Token: { id, userId, name, scopes, createdAt, expiresAt, lastUsedAt, revokedAt }",
    schema: shape((c) => c.z.object({ items: c.z.array(c.schemas.Token) })),
  },
  async run(ctx) {
    const result = await (await ctx.api()).listTokens({ query: ctx.options.all ? { all: "true" } : {} });
    ctx.out.result(result, () =>
      ctx.out.table(result.items, [
        { header: "ID", value: (t) => t.id },
        { header: "NAME", value: (t) => t.name },
        ...(ctx.options.all ? [{ header: "USER", value: (t: schemas.Token) => t.userId }] : []),
        { header: "SCOPES", value: (t) => t.scopes.join(",") },
        { header: "EXPIRES", value: (t) => t.expiresAt },
        { header: "LAST USED", value: (t) => t.lastUsedAt },
        { header: "REVOKED", value: (t) => t.revokedAt },
      ]),
    );
    return undefined;
  },
});

export const create = defineCommand({
  path: ["tokens", "create"],
  summary: "Create an API token for yourself; its secret is printed once, on stdout",
  usage: "latchflow tokens create NAME [--scope SCOPE]... [--expires-in-days N]",
  examples: [
    "latchflow tokens create ci --scope pipelines:write --scope pipelines:run --expires-in-days 90",
    "TOKEN=$(latchflow tokens create backup --scope bundles:read)",
  ],
  access: `${Scope.TokensWrite}; scopes within your role and your own credential`,
  args: [{ name: "NAME", required: true }],
  options: {
    scope: {
      type: "string",
      multiple: true,
      value: "SCOPE",
      choices: ALL_SCOPES,
      description: "a scope to grant (repeatable; default: your role's defaults that your credential holds)",
    },
    "expires-in-days": { type: "string", value: "N", description: "days until it expires (1–1825)" },
  },
  output: {
    description: "{ token: string (shown once), info: Token }",
    schema: shape((c) => c.schemas.CreatedToken),
  },
  async run(ctx) {
    const scopes = ctx.options.scope ?? [];
    const unknown = scopes.filter((s) => !(ALL_SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) {
      throw usageError(
        `unknown scope ${unknown.join(", ")} (known: ${ALL_SCOPES.join(", ")})`,
        ctx.commandLine,
      );
    }
    const days = ctx.options["expires-in-days"];
    const created = await (await ctx.api()).createToken({
      body: {
        name: ctx.args[0]!,
        ...(scopes.length > 0 ? { scopes: scopes as Scope[] } : {}),
        ...(days !== undefined ? { expiresInDays: Number(days) } : {}),
      },
    });
    printSecret(ctx.out, created, "created");
    return undefined;
  },
});

export const rotate = defineCommand({
  path: ["tokens", "rotate"],
  summary: "Replace one of your tokens' secret (the old one stops working at once); printed once",
  usage: "latchflow tokens rotate ID",
  examples: ["latchflow tokens rotate 01KA2B…"],
  access: `${Scope.TokensWrite}, on your own tokens`,
  args: [idArg],
  output: {
    description: "{ token: string (shown once), info: Token }",
    schema: shape((c) => c.schemas.CreatedToken),
  },
  async run(ctx) {
    printSecret(ctx.out, await (await ctx.api()).rotateToken({ params: { id: ctx.args[0]! } }), "rotated");
    return undefined;
  },
});

export const revoke = defineCommand({
  path: ["tokens", "revoke"],
  summary: "Revoke a token: it stops working at once",
  usage: "latchflow tokens revoke ID",
  examples: ["latchflow tokens revoke 01KA2B…", "latchflow tokens revoke 01KA2B… --json"],
  access: `${Scope.TokensWrite} (another user's token: ${Scope.UsersAdmin} over that user)`,
  args: [idArg],
  output: { description: "Token (revokedAt set)", schema: shape((c) => c.schemas.Token) },
  async run(ctx) {
    const t = await (await ctx.api()).revokeToken({ params: { id: ctx.args[0]! } });
    ctx.out.result(t, () => ctx.out.line(`Revoked token ${t.name} (${t.id})`));
    return undefined;
  },
});

export const commands = [list, create, rotate, revoke];
