// The VS Code extension: starts the Latchflow language server (dist/server.cjs) for pipeline documents and
// passes it the server URL (setting `latchflow.server.url`) and the API token (kept in the editor's
// SecretStorage, set with the "Latchflow: Set API token" command). Everything else happens in the server.

import { createClient } from "@latchflow/api/client";
import * as vscode from "vscode";
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { type PipelineCommand, runPipelineCommand } from "./pipeline-commands.js";
import { connectionSettings, TOKEN_KEY } from "./settings.js";

let client: LanguageClient | undefined;

async function start(context: vscode.ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath("dist/server.cjs");
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6009"] } },
  };
  const clientOptions: LanguageClientOptions = {
    // every YAML document goes to the server, which serves only *.latchflow.yaml and apiVersion: latchflow.dev/v1
    documentSelector: [{ scheme: "file", pattern: "**/*.latchflow.{yaml,yml}" }, { language: "yaml" }],
    initializationOptions: await connectionSettings(
      vscode.workspace.getConfiguration("latchflow"),
      context.secrets,
    ),
  };
  client = new LanguageClient("latchflow", "Latchflow pipelines", serverOptions, clientOptions);
  await client.start();
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await client?.stop();
  client = undefined;
  await start(context);
}

/** Plan / Apply / Run (from the code lenses, with the document's uri, or the palette, on the active editor). */
async function pipelineCommand(
  context: vscode.ExtensionContext,
  command: PipelineCommand,
  uri?: string,
): Promise<void> {
  const document = uri
    ? await vscode.workspace.openTextDocument(vscode.Uri.parse(uri))
    : vscode.window.activeTextEditor?.document;
  if (!document) return;
  const { server } = await connectionSettings(
    vscode.workspace.getConfiguration("latchflow"),
    context.secrets,
  );
  const api = server
    ? createClient({ baseUrl: server.url.replace(/\/+$/, ""), token: server.token })
    : undefined;
  await runPipelineCommand(command, document.getText(), api, {
    info: (message) => vscode.window.showInformationMessage(message),
    error: (message) => vscode.window.showErrorMessage(message),
    confirm: async (message, action) =>
      (await vscode.window.showWarningMessage(message, { modal: true }, action)) === action,
  });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("latchflow.plan", (uri?: string) =>
      pipelineCommand(context, "latchflow.plan", uri),
    ),
    vscode.commands.registerCommand("latchflow.apply", (uri?: string) =>
      pipelineCommand(context, "latchflow.apply", uri),
    ),
    vscode.commands.registerCommand("latchflow.run", (uri?: string) =>
      pipelineCommand(context, "latchflow.run", uri),
    ),
    vscode.commands.registerCommand("latchflow.setToken", async () => {
      const token = await vscode.window.showInputBox({
        prompt: "Latchflow API token (lf_…), kept in the editor's secret storage",
        password: true,
        ignoreFocusOut: true,
      });
      if (token === undefined) return;
      await context.secrets.store(TOKEN_KEY, token.trim());
      await restart(context);
    }),
    vscode.commands.registerCommand("latchflow.clearToken", async () => {
      await context.secrets.delete(TOKEN_KEY);
      await restart(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("latchflow.server")) await restart(context);
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
