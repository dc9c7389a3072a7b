import type { Credentials, GlobalOptions } from "./command.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { type Env, profileName, readConfig } from "./profiles.js";
import { storeFor } from "./token-store.js";

/** A server URL as given by a person: trimmed, no trailing slash, http(s) only. */
export function normalizeServer(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new CliError(
      `"${url}" is not a URL`,
      ExitCode.Usage,
      "give the server's address, e.g. --server https://latchflow.example",
      "usage",
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new CliError(`"${url}" is not an http(s) URL`, ExitCode.Usage, "use http:// or https://", "usage");
  }
  return parsed.origin + parsed.pathname.replace(/\/+$/, "");
}

/**
 * The server and token a command uses. The server: --server, then LATCHFLOW_SERVER, then the profile's. The
 * token: LATCHFLOW_TOKEN, then the profile's stored one (only when the server is the profile's own: a stored
 * token is never sent to another server).
 */
export async function resolveCredentials(global: GlobalOptions, env: Env): Promise<Credentials> {
  const profile = profileName(global.profile, env);
  const flagServer = global.server ?? env.LATCHFLOW_SERVER;
  const stored = (await readConfig(env)).profiles[profile];
  const server = flagServer ? normalizeServer(flagServer) : stored?.server;
  if (!server) {
    throw new CliError(
      `no server for profile "${profile}"`,
      ExitCode.Auth,
      "run `latchflow login --server URL`, or set LATCHFLOW_SERVER and LATCHFLOW_TOKEN",
      "not_signed_in",
    );
  }
  if (env.LATCHFLOW_TOKEN) return { server, token: env.LATCHFLOW_TOKEN, profile, source: "LATCHFLOW_TOKEN" };
  if (stored && stored.server === server) {
    const store = await storeFor(stored.tokenStore, env);
    const token = await store.get(profile);
    if (token) return { server, token, profile, source: store.where };
  }
  throw new CliError(
    `not signed in to ${server} (profile "${profile}")`,
    ExitCode.Auth,
    `run \`latchflow login${flagServer ? ` --server ${server}` : ""}${profile !== "default" ? ` --profile ${profile}` : ""}\`, or set LATCHFLOW_TOKEN`,
    "not_signed_in",
  );
}
