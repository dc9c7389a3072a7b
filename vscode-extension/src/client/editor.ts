// The one seam between the extension's own logic (sign-in, plan/apply/run, runs, workspace validation) and the
// editor: extension.ts implements it with the `vscode` API; the tests fake it and drive the logic as plain
// modules against a real server.
import { ApiError, type Client, createClient } from "@latchflow/api/client";

/** What the extension needs of `vscode.workspace.getConfiguration("latchflow")`. */
export interface Settings {
  get<T>(section: string): T | undefined;
  /** Stores a user (global) setting. */
  update(section: string, value: unknown): PromiseLike<void>;
}

/** What the extension needs of `context.secrets` (the editor's SecretStorage). */
export interface Secrets {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

export interface AskOptions {
  prompt: string;
  placeholder?: string;
  value?: string;
  password?: boolean;
  /** The message shown under the box while the value is not acceptable; undefined when it is. */
  validate?(value: string): string | undefined;
}

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
}

export interface Editor {
  settings: Settings;
  secrets: Secrets;
  /** A notification; resolves with the action the person chose, if any (without waiting when there is none). */
  info(message: string, ...actions: string[]): PromiseLike<string | undefined>;
  error(message: string, ...actions: string[]): PromiseLike<string | undefined>;
  /** Asks (modally) before a change on the server; true when the person chose `action`. */
  confirm(message: string, action: string): PromiseLike<boolean>;
  /** An input box; undefined when dismissed. */
  ask(options: AskOptions): PromiseLike<string | undefined>;
  /** A quick pick; the chosen item's value, undefined when dismissed. */
  pick<T>(items: readonly PickItem<T>[], placeholder: string): PromiseLike<T | undefined>;
  /** Opens a URL in the browser (the editor may ask first); false when it did not. */
  openExternal(url: string): PromiseLike<boolean>;
  copy(text: string): PromiseLike<void>;
  /** Runs `task` under a progress notification the person can cancel (the signal aborts then). */
  progress<T>(title: string, task: (signal: AbortSignal) => Promise<T>): PromiseLike<T>;
  /** The diff editor: the document at `left` against the one at `right` (uris). */
  diff(left: string, right: string, title: string): PromiseLike<unknown>;
  /** Opens a document (e.g. a virtual one) in an editor. */
  open(uri: string): PromiseLike<unknown>;
  /** The uris of the workspace's files matching a glob (excluding node_modules and the like). */
  findFiles(glob: string): PromiseLike<string[]>;
  /** Shows the Problems view. */
  showProblems(): PromiseLike<unknown>;
  /** Restarts the language server, so that it connects with the current server URL and token. */
  restartLanguageServer(): PromiseLike<void>;
}

/** Key of the API token in the editor's SecretStorage. */
export const TOKEN_KEY = "latchflow.server.token";
/** Set (in SecretStorage, beside the token) when the token came from "Sign in": signing out revokes it. */
export const SIGNED_IN_KEY = "latchflow.server.signedIn";

/** The configured server URL, without trailing slashes; undefined when not set. */
export function serverUrl(settings: Pick<Settings, "get">): string | undefined {
  const url = settings.get<string>("server.url")?.trim().replace(/\/+$/, "");
  return url || undefined;
}

/** A client for the configured server with the stored token; undefined when either is missing. */
export async function connectedClient(
  editor: Pick<Editor, "settings" | "secrets">,
): Promise<Client | undefined> {
  const url = serverUrl(editor.settings);
  const token = await editor.secrets.get(TOKEN_KEY);
  return url && token ? createClient({ baseUrl: url, token }) : undefined;
}

/** Said when a command needs the server and there is no connection. */
export const NOT_CONNECTED = "Not connected to a Latchflow server: run “Latchflow: Sign in”.";

/** The message of an error for a person: the server's for an API error (with its problems, when it found some). */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const diagnostics = err.details.diagnostics;
    const n = Array.isArray(diagnostics) ? diagnostics.length : 0;
    return n > 0 ? `${err.message} (${n} problem${n === 1 ? "" : "s"}, see the Problems view)` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The language server's initializationOptions: the server URL setting and the stored token, when both are set. */
export async function connectionSettings(editor: {
  settings: Pick<Settings, "get">;
  secrets: Pick<Secrets, "get">;
}): Promise<{ server?: { url: string; token: string } }> {
  const url = serverUrl(editor.settings);
  const token = await editor.secrets.get(TOKEN_KEY);
  return url && token ? { server: { url, token } } : {};
}
