// The extension's one piece of logic besides starting the client, kept apart from the editor API (which is
// passed in) so that it is tested as a plain module.

/** Key of the API token in the editor's SecretStorage. */
export const TOKEN_KEY = "latchflow.server.token";

/** What the extension needs of `vscode.workspace.getConfiguration("latchflow")`. */
export interface Settings {
  get<T>(section: string): T | undefined;
}

/** What the extension needs of `context.secrets`. */
export interface Secrets {
  get(key: string): PromiseLike<string | undefined>;
}

/** The language server's initializationOptions: the server URL setting and the stored token. */
export async function connectionSettings(
  settings: Settings,
  secrets: Secrets,
): Promise<{ server?: { url: string; token: string } }> {
  const url = settings.get<string>("server.url")?.trim();
  const token = await secrets.get(TOKEN_KEY);
  return url && token ? { server: { url, token } } : {};
}
