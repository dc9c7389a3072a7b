// The VS Code extension: starts the Latchflow language server (dist/server.cjs) for pipeline documents, passing
// it the server URL (setting `latchflow.server.url`) and the API token (the editor's SecretStorage, from
// "Latchflow: Sign in"), and registers the commands. The commands' logic lives in plain modules over the
// `Editor` seam (editor.ts), which this file implements with the `vscode` API; nothing else is done here.

import * as vscode from "vscode";
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import { connectedClient, connectionSettings, type Editor, SIGNED_IN_KEY, TOKEN_KEY } from "./editor.js";
import { apply, type PipelineDocument, pipelineName, plan, run } from "./pipeline-commands.js";
import { showRuns } from "./runs.js";
import { signIn, signOut } from "./sign-in.js";
import { SCHEME, VirtualDocuments } from "./virtual-documents.js";
import { VALIDATE_WORKSPACE, validateWorkspace, type WorkspaceReport, YAML_FILES } from "./workspace.js";

let client: LanguageClient | undefined;

function editorFor(context: vscode.ExtensionContext): Editor {
  const config = () => vscode.workspace.getConfiguration("latchflow");
  return {
    settings: {
      get: (section) => config().get(section),
      update: (section, value) => config().update(section, value, vscode.ConfigurationTarget.Global),
    },
    secrets: context.secrets,
    info: (message, ...actions) => {
      const shown = vscode.window.showInformationMessage(message, ...actions);
      return actions.length ? shown : Promise.resolve(undefined);
    },
    error: (message, ...actions) => {
      const shown = vscode.window.showErrorMessage(message, ...actions);
      return actions.length ? shown : Promise.resolve(undefined);
    },
    confirm: async (message, action) =>
      (await vscode.window.showWarningMessage(message, { modal: true }, action)) === action,
    ask: (o) =>
      vscode.window.showInputBox({
        prompt: o.prompt,
        ignoreFocusOut: true,
        ...(o.placeholder ? { placeHolder: o.placeholder } : {}),
        ...(o.value !== undefined ? { value: o.value } : {}),
        ...(o.password ? { password: true } : {}),
        ...(o.validate ? { validateInput: (v: string) => o.validate?.(v) ?? null } : {}),
      }),
    pick: async (items, placeholder) =>
      (
        await vscode.window.showQuickPick(
          items.map((i) => ({ ...i })),
          { placeHolder: placeholder, matchOnDescription: true, matchOnDetail: true },
        )
      )?.value,
    openExternal: (url) => vscode.env.openExternal(vscode.Uri.parse(url)),
    copy: (text) => vscode.env.clipboard.writeText(text),
    progress: (title, task) =>
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        (_progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          return task(controller.signal);
        },
      ),
    diff: (left, right, title) =>
      vscode.commands.executeCommand("vscode.diff", vscode.Uri.parse(left), vscode.Uri.parse(right), title),
    open: async (uri) =>
      vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.parse(uri)), {
        preview: true,
      }),
    findFiles: async (glob) =>
      (await vscode.workspace.findFiles(glob, "**/{node_modules,.git}/**")).map((u) => u.toString()),
    showProblems: () => vscode.commands.executeCommand("workbench.actions.view.problems"),
    restartLanguageServer: () => restart(context),
  };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath("dist/server.cjs");
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6009"] } },
  };
  const clientOptions: LanguageClientOptions = {
    // every YAML document on disk or unsaved goes to the server, which serves only *.latchflow.yaml and
    // apiVersion: latchflow.dev/v1 (the extension's own read-only `latchflow:` documents do not)
    documentSelector: [
      { scheme: "file", pattern: "**/*.latchflow.{yaml,yml}" },
      { scheme: "file", language: "yaml" },
      { scheme: "untitled", language: "yaml" },
    ],
    // "Validate workspace" keeps the diagnostics of files that are not open up to date
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher(YAML_FILES) },
    initializationOptions: await connectionSettings({
      settings: vscode.workspace.getConfiguration("latchflow"),
      secrets: context.secrets,
    }),
  };
  client = new LanguageClient("latchflow", "Latchflow pipelines", serverOptions, clientOptions);
  await client.start();
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await client?.stop();
  client = undefined;
  await start(context);
}

/** The document a command is for: the lens's (by uri) or the active editor's. */
async function documentFor(uri?: string): Promise<PipelineDocument | undefined> {
  const doc = uri
    ? await vscode.workspace.openTextDocument(vscode.Uri.parse(uri))
    : vscode.window.activeTextEditor?.document;
  if (!doc) {
    await vscode.window.showErrorMessage("Open a pipeline document first.");
    return undefined;
  }
  return {
    uri: doc.uri.toString(),
    text: doc.getText(),
    label: doc.uri.path.split("/").pop() ?? doc.uri.path,
  };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const editor = editorFor(context);
  const docs = new VirtualDocuments();
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const onDocument =
    (command: (doc: PipelineDocument, api: Awaited<ReturnType<typeof connectedClient>>) => Promise<void>) =>
    async (uri?: string) => {
      const doc = await documentFor(uri);
      if (doc) await command(doc, await connectedClient(editor));
    };
  context.subscriptions.push(
    changed,
    docs.onDidChange((uri) => changed.fire(vscode.Uri.parse(uri))),
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, {
      onDidChange: changed.event,
      provideTextDocumentContent: (uri) => docs.get(uri.toString()) ?? "",
    }),
    vscode.commands.registerCommand("latchflow.signIn", () => signIn(editor)),
    vscode.commands.registerCommand("latchflow.signOut", () => signOut(editor)),
    vscode.commands.registerCommand("latchflow.setToken", async () => {
      const token = await editor.ask({
        prompt: "Latchflow API token (lf_…), kept in the editor's secret storage",
        password: true,
      });
      if (token === undefined) return;
      await context.secrets.store(TOKEN_KEY, token.trim());
      await context.secrets.delete(SIGNED_IN_KEY); // a token set by hand is never revoked by "Sign out"
      await restart(context);
    }),
    vscode.commands.registerCommand(
      "latchflow.plan",
      onDocument((doc, api) => plan(editor, api, docs, doc)),
    ),
    vscode.commands.registerCommand(
      "latchflow.apply",
      onDocument((doc, api) => apply(editor, api, doc)),
    ),
    vscode.commands.registerCommand(
      "latchflow.run",
      onDocument((doc, api) => run(editor, api, docs, doc)),
    ),
    vscode.commands.registerCommand(
      "latchflow.runWithPayload",
      onDocument((doc, api) => run(editor, api, docs, doc, true)),
    ),
    vscode.commands.registerCommand(
      "latchflow.showRuns",
      onDocument((doc, api) => showRuns(editor, api, docs, pipelineName(doc.text))),
    ),
    vscode.commands.registerCommand("latchflow.showRunSteps", (uri?: string, runId?: string) =>
      onDocument((doc, api) => showRuns(editor, api, docs, pipelineName(doc.text), runId))(uri),
    ),
    vscode.commands.registerCommand("latchflow.validateWorkspace", () =>
      validateWorkspace(editor, async (uris) => {
        if (!client) throw new Error("the Latchflow language server is not running");
        return client.sendRequest<WorkspaceReport>(VALIDATE_WORKSPACE, { uris });
      }),
    ),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("latchflow.server")) await restart(context);
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
