// "Latchflow: Sign in" with the device flow (RFC 8628, @latchflow/api/device-flow: the CLI's very flow): the
// server gives a code, the person approves it in the browser (the admin app's /admin/device page), the token
// goes to the editor's SecretStorage. "Sign out" revokes a signed-in token and forgets it.
import { createClient } from "@latchflow/api/client";
import { DeviceFlowError, type PollOptions, pollForToken, revokeOwnToken } from "@latchflow/api/device-flow";
import { describeError, type Editor, SIGNED_IN_KEY, serverUrl, TOKEN_KEY } from "./editor.js";

/** The client id the server records for the token ("device: latchflow-vscode" in the tokens list). */
export const CLIENT_ID = "latchflow-vscode";

/** An http(s) URL, or the reason it is not one. */
export function checkServerUrl(value: string): string | undefined {
  const text = value.trim();
  if (text === "") return "The server's address, e.g. https://latchflow.example.com";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "Not a URL: write it with https://";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return "The address starts with https:// (or http://)";
  return undefined;
}

/**
 * Signs in: asks for the server's address when `latchflow.server.url` is not set (and stores it), shows the code
 * and opens the approval page, polls until approved (cancellable), stores the token and restarts the language
 * server with it. Resolves true when signed in.
 */
export async function signIn(
  editor: Editor,
  poll: Pick<PollOptions, "sleep" | "now"> = {},
): Promise<boolean> {
  let url = serverUrl(editor.settings);
  if (!url) {
    const typed = await editor.ask({
      prompt: "Address of your Latchflow server",
      placeholder: "https://latchflow.example.com",
      validate: checkServerUrl,
    });
    if (typed === undefined || checkServerUrl(typed)) return false;
    url = typed.trim().replace(/\/+$/, "");
    await editor.settings.update("server.url", url);
  }
  const anonymous = createClient({ baseUrl: url });
  try {
    const code = await anonymous.startDeviceAuthorization({ body: { client_id: CLIENT_ID } });
    // not awaited: the notification stays while the browser is used; its button copies the code
    void Promise.resolve(
      editor.info(
        `Sign in to ${url}: approve the code ${code.user_code} in the browser (${code.verification_uri}).`,
        "Copy code",
      ),
    ).then((action) => (action === "Copy code" ? editor.copy(code.user_code) : undefined));
    await editor.openExternal(code.verification_uri_complete);
    const token = await editor.progress(`Latchflow: waiting for approval of ${code.user_code}…`, (signal) =>
      pollForToken(anonymous, code, { clientId: CLIENT_ID, signal, ...poll }),
    );
    const me = await createClient({ baseUrl: url, token }).getMe();
    await editor.secrets.store(TOKEN_KEY, token);
    await editor.secrets.store(SIGNED_IN_KEY, "1");
    await editor.restartLanguageServer();
    await editor.info(`Signed in to ${url} as ${me.email} (${me.role}).`);
    return true;
  } catch (err) {
    if (err instanceof Error && err.name === "AbortError") await editor.info("Sign-in cancelled.");
    else if (err instanceof DeviceFlowError) await editor.error(`Sign-in failed: ${err.message}.`);
    else await editor.error(`Sign-in to ${url} failed: ${describeError(err)}`);
    return false;
  }
}

/**
 * Signs out: a token from "Sign in" is revoked on the server (a token set by hand is only forgotten: it may be
 * used elsewhere), then forgotten here; the language server restarts offline.
 */
export async function signOut(editor: Editor): Promise<void> {
  const token = await editor.secrets.get(TOKEN_KEY);
  const url = serverUrl(editor.settings);
  if (!token) {
    await editor.info("Not signed in to a Latchflow server.");
    return;
  }
  const signedIn = (await editor.secrets.get(SIGNED_IN_KEY)) === "1";
  const outcome = signedIn && url ? await revokeOwnToken(createClient({ baseUrl: url }), token) : undefined;
  await editor.secrets.delete(TOKEN_KEY);
  await editor.secrets.delete(SIGNED_IN_KEY);
  await editor.restartLanguageServer();
  if (!outcome)
    await editor.info("Signed out: the API token is forgotten here (it was set by hand, not revoked).");
  else if (outcome.revoked) await editor.info(`Signed out of ${url}: the token is revoked and forgotten.`);
  else
    await editor.info(
      `Signed out: the token is forgotten here; the server did not revoke it (${outcome.why}): revoke it in the admin app's Tokens page.`,
    );
}
