// `latchflow users …`: the admin side's users and their roles (@latchflow/api's users area; users:admin).
import { Role, Scope } from "@latchflow/api/scopes";
import { type ApiClient, defineCommand, shape } from "./command.js";
import { CliError, ExitCode, usageError } from "./exit-codes.js";
import { isId, listAll, pageOrAll } from "./resolve.js";

const ROLES = Object.values(Role);

function role(value: string, line: string): Role {
  if (!(ROLES as string[]).includes(value))
    throw usageError(`unknown role "${value}" (one of ${ROLES.join(", ")})`, line);
  return value as Role;
}

/** A user by id or by email: its id. Exit 4 when no user has that email. */
async function userId(api: ApiClient, ref: string): Promise<string> {
  if (isId(ref)) return ref;
  const all = await listAll((cursor) =>
    api.listUsers({ query: { limit: 200, ...(cursor ? { cursor } : {}) } }),
  );
  const found = all.find((u) => u.email.toLowerCase() === ref.toLowerCase());
  if (!found) {
    throw new CliError(
      `no user with email ${ref}`,
      ExitCode.NotFound,
      "list them with `latchflow users list`",
      "not_found",
    );
  }
  return found.id;
}

export const list = defineCommand({
  path: ["users", "list"],
  summary: "List the admin side's users and their roles",
  usage: "latchflow users list [--limit N] [--cursor C] [--all]",
  examples: ["latchflow users list", "latchflow users list --all --json | jq -r '.items[].email'"],
  access: Scope.UsersAdmin,
  options: {
    limit: { type: "string", value: "N", description: "at most N users (1–200, default 50)" },
    cursor: { type: "string", value: "CURSOR", description: "continue from a previous page's nextCursor" },
    all: { type: "boolean", description: "every user, following pages" },
  },
  output: {
    description:
      "{ items: User[], nextCursor: string | null } — User: { id, email, role, active, createdAt, lastSignInAt }",
    schema: shape((c) => c.page(c.schemas.User)),
  },
  async run(ctx) {
    const api = await ctx.api();
    const result = await pageOrAll(ctx.options, (query) => api.listUsers({ query }));
    ctx.out.result(result, () => {
      ctx.out.table(result.items, [
        { header: "ID", value: (u) => u.id },
        { header: "EMAIL", value: (u) => u.email },
        { header: "ROLE", value: (u) => u.role },
        { header: "ACTIVE", value: (u) => (u.active ? "yes" : "no") },
        { header: "LAST SIGN-IN", value: (u) => u.lastSignInAt },
      ]);
      if (result.nextCursor)
        ctx.out.note(`more: latchflow users list --cursor ${result.nextCursor} (or --all)`);
    });
    return undefined;
  },
});

export const invite = defineCommand({
  path: ["users", "invite"],
  summary: "Invite a user by email: they get a sign-in link",
  usage: "latchflow users invite EMAIL [--role ROLE]",
  examples: ["latchflow users invite alice@example.com --role admin"],
  access: `${Scope.UsersAdmin}; only an owner invites an owner or an admin`,
  args: [{ name: "EMAIL", required: true }],
  options: {
    role: {
      type: "string",
      value: "ROLE",
      choices: ROLES,
      description: `${ROLES.join(", ")} (default ${Role.Executor}: the least)`,
    },
  },
  output: { description: "User (the invited one)", schema: shape((c) => c.schemas.User) },
  async run(ctx) {
    const body = { email: ctx.args[0]!, role: role(ctx.options.role ?? Role.Executor, ctx.commandLine) };
    const u = await (await ctx.api()).inviteUser({ body });
    ctx.out.result(u, () =>
      ctx.out.line(`Invited ${u.email} as ${u.role} (${u.id}); they were sent a sign-in link`),
    );
    return undefined;
  },
});

export const setRole = defineCommand({
  path: ["users", "role"],
  summary: "Change a user's role",
  usage: "latchflow users role USER ROLE",
  examples: ["latchflow users role alice@example.com executor", "latchflow users role 01KA2B… admin --json"],
  access: `${Scope.UsersAdmin}; only an owner grants or takes away owner and admin; the last owner stays`,
  args: [
    { name: "USER", required: true },
    { name: "ROLE", required: true },
  ],
  output: { description: "User", schema: shape((c) => c.schemas.User) },
  async run(ctx) {
    const wanted = role(ctx.args[1]!, ctx.commandLine);
    const api = await ctx.api();
    const u = await api.updateUser({
      params: { id: await userId(api, ctx.args[0]!) },
      body: { role: wanted },
    });
    ctx.out.result(u, () => ctx.out.line(`${u.email} is now ${u.role}`));
    return undefined;
  },
});

export const commands = [list, invite, setRole];
