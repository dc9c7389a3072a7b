// `latchflow login / logout / whoami`: the device flow (RFC 8628) against the server, and where the token lives.
import { spawn } from "node:child_process";
import type { schemas } from "@latchflow/api";
import { DeviceFlowError, pollForToken as pollDeviceToken, revokeOwnToken } from "@latchflow/api/device-flow";
import { Scope } from "@latchflow/api/scopes";
import { z } from "zod";
import { type ApiClient, type Context, defineCommand, shape } from "./command.js";
import { normalizeServer, resolveCredentials } from "./credentials.js";
import { CliError, ExitCode, usageError } from "./exit-codes.js";
import { profileName, readConfig, saveProfile } from "./profiles.js";
import { fileStore, saveToken, storeFor } from "./token-store.js";

const CLIENT_ID = "latchflow-cli";

const TokenStoreInfo = z.object({ kind: z.enum(["keychain", "file"]), where: z.string() });
const LoginResult = z.object({
  server: z.string(),
  profile: z.string(),
  user: z.object({ id: z.string(), email: z.string(), role: z.string() }),
  scopes: z.array(z.string()),
  tokenStore: TokenStoreInfo,
});

/** Opens `url` in the desktop's browser when there is one; never fails (the URL is printed anyway). */
function openBrowser(url: string, env: Context["env"]): boolean {
  const platform = process.platform;
  if (platform === "linux" && !env.DISPLAY && !env.WAYLAND_DISPLAY) return false;
  const [cmd, args] =
    platform === "darwin"
      ? ["open", [url]]
      : platform === "win32"
        ? ["cmd", ["/c", "start", '""', url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: "ignore", detached: true });
    child.once("error", () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

/** Asks for the server's address on a terminal; a usage error elsewhere. */
async function askServer(ctx: Context): Promise<string> {
  if (!process.stdin.isTTY)
    throw usageError("which server? give --server URL (or set LATCHFLOW_SERVER)", ctx.commandLine);
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question("Server URL (e.g. https://latchflow.example): ")).trim();
  } finally {
    rl.close();
  }
}

/** Polls for the token (@latchflow/api/device-flow), its failures as the CLI's errors. */
async function pollForToken(api: ApiClient, code: schemas.DeviceCode, signal: AbortSignal): Promise<string> {
  try {
    return await pollDeviceToken(api, code, { clientId: CLIENT_ID, signal });
  } catch (err) {
    if (!(err instanceof DeviceFlowError)) throw err;
    const hint =
      err.reason === "access_denied"
        ? "run `latchflow login` again and approve it"
        : err.reason === "expired_token"
          ? `run \`latchflow login\` again and approve within ${Math.round(code.expires_in / 60)} minutes`
          : "run `latchflow login` again";
    throw new CliError(err.message, ExitCode.Auth, hint, err.reason);
  }
}

export const login = defineCommand({
  path: ["login"],
  summary: "Sign in with the device flow: approve a code in a browser; the token is stored for the profile",
  usage: "latchflow login [--server URL] [--profile NAME] [--scope SCOPES] [--no-browser]",
  examples: [
    "latchflow login --server https://latchflow.example",
    "latchflow login --profile work --scope bundles:read",
  ],
  access: "anyone; the approval is made on the admin app (the /device address redirects to /admin/device)",
  options: {
    scope: {
      type: "string",
      value: "SCOPES",
      description: "ask for fewer scopes, space- or comma-separated (default: your role's)",
    },
    browser: { type: "boolean", negatable: true, description: "only print the URL, open no browser" },
  },
  output: {
    description:
      "{ server, profile, user: { id, email, role }, scopes: string[], tokenStore: { kind: keychain|file, where } }",
    schema: shape(() => LoginResult),
  },
  async run(ctx) {
    const profile = profileName(ctx.global.profile, ctx.env);
    const stored = (await readConfig(ctx.env)).profiles[profile];
    const server = normalizeServer(
      ctx.global.server ?? ctx.env.LATCHFLOW_SERVER ?? stored?.server ?? (await askServer(ctx)),
    );
    const api = await ctx.anonymousApi(server);
    const scope = (ctx.options.scope ?? "")
      .split(/[\s,]+/)
      .filter(Boolean)
      .join(" ");
    const code = await api.startDeviceAuthorization({
      body: { client_id: CLIENT_ID, ...(scope ? { scope } : {}) },
    });
    ctx.out.note(
      `To sign in to ${server}, open ${ctx.out.style("bold", code.verification_uri, true)} and enter the code:`,
    );
    ctx.out.note("");
    ctx.out.note(`    ${ctx.out.style("bold", code.user_code, true)}`);
    ctx.out.note("");
    const opened = ctx.options.browser !== false && openBrowser(code.verification_uri_complete, ctx.env);
    ctx.out.note(
      opened
        ? "(a browser was opened; waiting for approval…)"
        : `(or open ${code.verification_uri_complete}; waiting for approval…)`,
    );
    const token = await pollForToken(api, code, ctx.signal);
    const me = await (await ctx.anonymousApi(server)).getMe({
      headers: { authorization: `Bearer ${token}` },
    });
    const store = await saveToken(ctx.env, profile, token);
    if (stored && stored.tokenStore !== store.kind)
      await (await storeFor(stored.tokenStore, ctx.env)).delete(profile);
    await saveProfile(ctx.env, profile, {
      server,
      tokenStore: store.kind,
      user: { id: me.id, email: me.email, role: me.role },
      scopes: me.scopes,
      signedInAt: new Date().toISOString(),
    });
    const result = {
      server,
      profile,
      user: { id: me.id, email: me.email, role: me.role },
      scopes: me.scopes,
      tokenStore: { kind: store.kind, where: store.where },
    };
    ctx.out.result(result, () => {
      ctx.out.line(
        `Signed in to ${server} as ${me.email} (${me.role})${profile === "default" ? "" : `, profile ${profile}`}.`,
      );
      ctx.out.line(
        store.kind === "keychain"
          ? "Token stored in the OS keychain."
          : `No OS keychain here: token stored in ${store.where} (mode 0600).`,
      );
    });
    return undefined;
  },
});

export const logout = defineCommand({
  path: ["logout"],
  summary: "Sign out: revoke the profile's token on the server (when it may) and forget it here",
  usage: "latchflow logout [--profile NAME]",
  examples: ["latchflow logout", "latchflow logout --profile work"],
  access: `anyone signed in; revoking on the server needs ${Scope.TokensWrite} (otherwise the token is only forgotten)`,
  output: {
    description: "{ profile, server: string | null, revoked: boolean, forgotten: boolean }",
    schema: shape((c) =>
      c.z.object({
        profile: c.z.string(),
        server: c.z.string().nullable(),
        revoked: c.z.boolean(),
        forgotten: c.z.boolean(),
      }),
    ),
  },
  async run(ctx) {
    const profile = profileName(ctx.global.profile, ctx.env);
    const stored = (await readConfig(ctx.env)).profiles[profile];
    const store = stored ? await storeFor(stored.tokenStore, ctx.env) : fileStore(ctx.env);
    const token = await store.get(profile);
    let revoked = false;
    let why = "";
    if (stored && token) {
      try {
        const outcome = await revokeOwnToken(await ctx.anonymousApi(stored.server), token);
        revoked = outcome.revoked;
        if (!outcome.revoked) why = outcome.why;
      } catch (err) {
        why = (err as Error).message;
      }
    }
    if (token) await store.delete(profile);
    if (stored) await saveProfile(ctx.env, profile, { server: stored.server, tokenStore: stored.tokenStore });
    const result = { profile, server: stored?.server ?? null, revoked, forgotten: Boolean(token) };
    ctx.out.result(result, () => {
      if (!token) ctx.out.line(`Profile ${profile} was not signed in.`);
      else if (revoked) ctx.out.line(`Signed out of ${stored?.server}: the token is revoked and forgotten.`);
      else
        ctx.out.line(
          `Forgot the token of profile ${profile}; the server did not revoke it (${why || "no token id"}): revoke it in the admin UI or with \`latchflow tokens revoke\`.`,
        );
      if (ctx.env.LATCHFLOW_TOKEN) ctx.out.note("LATCHFLOW_TOKEN is still set in this shell: unset it too.");
    });
    return undefined;
  },
});

export const whoami = defineCommand({
  path: ["whoami"],
  summary: "Who you are signed in as, on which server, and where the token is kept",
  usage: "latchflow whoami [--profile NAME]",
  examples: ["latchflow whoami", "latchflow whoami --json | jq .user.email"],
  access: "anyone signed in",
  output: {
    description: "{ server, profile, tokenSource: string, user: Me (GET /api/v1/auth/me) }",
    schema: shape((c) =>
      c.z.object({
        server: c.z.string(),
        profile: c.z.string(),
        tokenSource: c.z.string(),
        user: c.schemas.Me,
      }),
    ),
  },
  async run(ctx) {
    const creds = await resolveCredentials(ctx.global, ctx.env);
    const me = await (await ctx.api()).getMe();
    const result = { server: creds.server, profile: creds.profile, tokenSource: creds.source, user: me };
    ctx.out.result(result, () =>
      ctx.out.fields([
        ["user", `${me.email} (${me.role})`],
        ["server", creds.server],
        ["profile", creds.profile],
        ["token", creds.source === "LATCHFLOW_TOKEN" ? "from LATCHFLOW_TOKEN" : `in ${creds.source}`],
        ["scopes", me.scopes.join(" ")],
      ]),
    );
    return undefined;
  },
});

export const commands = [login, logout, whoami];
