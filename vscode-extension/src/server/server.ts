// The language server's handlers: thin, each calling a pure function of src/language. Documents are synced
// incrementally (TextDocuments); validation is debounced per document. "Validate workspace" (the custom request
// `latchflow/validateWorkspace`) validates files that are not open too, read from disk, and keeps their
// diagnostics up to date as the files change (workspace/didChangeWatchedFiles).
import { builtinCatalog } from "@latchflow/builtin-plugins";
import type { CapabilityCatalog } from "@latchflow/spec";
import {
  type Connection,
  FileChangeType,
  type InitializeResult,
  TextDocumentSyncKind,
  TextDocuments,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  celSemanticTokens,
  codeActions,
  codeLenses,
  complete,
  completeReferences,
  DiagnosticSeverity,
  definition,
  diagnose,
  documentSymbols,
  foldingRanges,
  format,
  hover,
  isPipelineDocument,
  prepareRename,
  referenceHover,
  references,
  rename,
  SEMANTIC_TOKEN_TYPES,
} from "../language/index.js";
import { connect, type Remote, type ServerSettings } from "./remote.js";
import { readWorkspaceFile, VALIDATE_WORKSPACE, type WorkspaceReport } from "./workspace.js";

/** initializationOptions the client may send. */
export interface InitializationOptions {
  server?: ServerSettings;
  /** Milliseconds of quiet after an edit before revalidating (default 150). */
  debounceMs?: number;
}

/** Wires the handlers onto an LSP connection and starts listening. */
export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const timers = new Map<string, NodeJS.Timeout>();
  /** Documents that have diagnostics published (cleared when they stop being pipelines or close). */
  const published = new Set<string>();
  /** Files "Validate workspace" found: their diagnostics stay after they close, and follow changes on disk. */
  const workspaceFiles = new Set<string>();
  let debounceMs = 150;
  let settings: ServerSettings = {};
  let remote: Promise<Remote | undefined> = Promise.resolve(undefined);
  let offlineReason: string | undefined;

  const reconnect = (next: ServerSettings): void => {
    settings = next;
    offlineReason = undefined;
    remote = connect(settings).catch((err: unknown) => {
      offlineReason = `cannot use ${settings.url} (${err instanceof Error ? err.message : String(err)})`;
      connection.console.warn(
        `latchflow: cannot use ${settings.url}: ${err instanceof Error ? err.message : String(err)}; validating offline`,
      );
      return undefined;
    });
    for (const doc of documents.all()) schedule(doc, 0);
  };

  const catalog = async (): Promise<CapabilityCatalog> => (await remote)?.capabilities ?? builtinCatalog();

  const pipeline = (uri: string): TextDocument | undefined => {
    const doc = documents.get(uri);
    return doc && isPipelineDocument(uri, doc.getText()) ? doc : undefined;
  };

  const diagnoseText = async (text: string) => {
    const r = await remote;
    return diagnose(text, {
      capabilities: await catalog(),
      ...(r ? { disabled: r.disabled, resolver: r.resolver } : {}),
      ...(r?.secretsUncheckedReason ? { secretsUncheckedReason: r.secretsUncheckedReason } : {}),
      ...(offlineReason ? { offlineReason } : {}),
    });
  };

  const validate = async (doc: TextDocument): Promise<void> => {
    const { uri, version } = doc;
    if (!isPipelineDocument(uri, doc.getText())) {
      if (published.delete(uri)) await connection.sendDiagnostics({ uri, diagnostics: [] });
      return;
    }
    const diagnostics = await diagnoseText(doc.getText());
    // a newer edit (or a close) came in while the references were checked: its own run will publish
    if (documents.get(uri)?.version !== version) return;
    published.add(uri);
    await connection.sendDiagnostics({ uri, version, diagnostics });
  };

  /** Validates a file that is not open (its text from disk, or gone), publishing or clearing its diagnostics. */
  const validateFile = async (
    uri: string,
    text: string | undefined,
  ): Promise<WorkspaceReport["files"][number] | undefined> => {
    if (text === undefined || !isPipelineDocument(uri, text)) {
      workspaceFiles.delete(uri);
      if (published.delete(uri)) await connection.sendDiagnostics({ uri, diagnostics: [] });
      return undefined;
    }
    workspaceFiles.add(uri);
    const diagnostics = await diagnoseText(text);
    // opened meanwhile: the open document's own validation publishes
    if (documents.get(uri)) return summary(uri, diagnostics);
    published.add(uri);
    await connection.sendDiagnostics({ uri, diagnostics });
    return summary(uri, diagnostics);
  };

  const summary = (uri: string, diagnostics: Awaited<ReturnType<typeof diagnose>>) => ({
    uri,
    errors: diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).length,
    warnings: diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning).length,
  });

  const schedule = (doc: TextDocument, delay = debounceMs): void => {
    clearTimeout(timers.get(doc.uri));
    timers.set(
      doc.uri,
      setTimeout(() => {
        timers.delete(doc.uri);
        validate(doc).catch((err: unknown) =>
          connection.console.error(`latchflow: validation failed: ${String(err)}`),
        );
      }, delay),
    );
  };

  connection.onInitialize((params): InitializeResult => {
    const options = (params.initializationOptions ?? {}) as InitializationOptions;
    if (typeof options.debounceMs === "number") debounceMs = options.debounceMs;
    if (options.server) reconnect(options.server);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { triggerCharacters: [".", "@"] },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        documentFormattingProvider: true,
        foldingRangeProvider: true,
        codeActionProvider: { codeActionKinds: ["quickfix"] },
        semanticTokensProvider: {
          legend: { tokenTypes: [...SEMANTIC_TOKEN_TYPES], tokenModifiers: [] },
          full: true,
        },
      },
      serverInfo: { name: "latchflow-language-server", version: "0.1.0" },
    };
  });

  connection.onDidChangeConfiguration(({ settings: s }) => {
    const next = (s as { latchflow?: { server?: ServerSettings } } | undefined)?.latchflow?.server;
    if (next && (next.url !== settings.url || next.token !== settings.token)) reconnect(next);
  });

  documents.onDidOpen(({ document }) => schedule(document, 0));
  documents.onDidChangeContent(({ document }) => schedule(document));
  documents.onDidClose(({ document }) => {
    clearTimeout(timers.get(document.uri));
    timers.delete(document.uri);
    // a workspace file keeps its diagnostics: those of the text it closed with (as saved, or as it is on disk)
    if (workspaceFiles.has(document.uri)) {
      void readWorkspaceFile(document.uri)
        .then((text) => validateFile(document.uri, text))
        .catch((err: unknown) => connection.console.error(`latchflow: validation failed: ${String(err)}`));
      return;
    }
    published.delete(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });

  connection.onRequest(VALIDATE_WORKSPACE, async ({ uris }: { uris: string[] }): Promise<WorkspaceReport> => {
    const files: WorkspaceReport["files"] = [];
    for (const uri of uris) {
      const open = documents.get(uri);
      if (open) {
        if (!isPipelineDocument(uri, open.getText())) continue;
        workspaceFiles.add(uri);
        files.push(summary(uri, await diagnoseText(open.getText())));
        schedule(open, 0);
        continue;
      }
      const checked = await validateFile(uri, await readWorkspaceFile(uri));
      if (checked) files.push(checked);
    }
    return { files };
  });

  connection.onDidChangeWatchedFiles(async ({ changes }) => {
    for (const { uri, type } of changes) {
      if (documents.get(uri)) continue;
      if (!workspaceFiles.has(uri) && type !== FileChangeType.Created) continue;
      if (type === FileChangeType.Created && workspaceFiles.size === 0) continue; // no workspace validation yet
      await validateFile(uri, type === FileChangeType.Deleted ? undefined : await readWorkspaceFile(uri));
    }
  });

  /** The connected server's bundles and recipients; undefined offline or when they cannot be listed. */
  const directory = async () => {
    try {
      return await (await remote)?.directory();
    } catch (err) {
      connection.console.warn(`latchflow: cannot list bundles and recipients: ${String(err)}`);
      return undefined;
    }
  };

  connection.onCompletion(async ({ textDocument, position }) => {
    const doc = pipeline(textDocument.uri);
    if (!doc) return null;
    const dir = await directory();
    return (
      (dir && completeReferences(doc.getText(), position, dir)) ??
      complete(doc.getText(), position, await catalog())
    );
  });
  connection.onHover(async ({ textDocument, position }) => {
    const doc = pipeline(textDocument.uri);
    if (!doc) return null;
    const dir = await directory();
    return (
      (dir && referenceHover(doc.getText(), position, dir)) ??
      hover(doc.getText(), position, await catalog()) ??
      null
    );
  });
  connection.onCodeLens(async ({ textDocument }) => {
    const doc = pipeline(textDocument.uri);
    if (!doc) return null;
    const connected = (await remote) !== undefined;
    return codeLenses(doc.getText(), {
      now: Date.now(),
      ...(connected ? { commandsFor: textDocument.uri } : {}),
    });
  });
  connection.onDefinition(({ textDocument, position }) => {
    const doc = pipeline(textDocument.uri);
    const range = doc && definition(doc.getText(), position);
    return range ? { uri: textDocument.uri, range } : null;
  });
  connection.onReferences(({ textDocument, position }) => {
    const doc = pipeline(textDocument.uri);
    return doc
      ? references(doc.getText(), position).map((range) => ({ uri: textDocument.uri, range }))
      : null;
  });
  connection.onPrepareRename(({ textDocument, position }) => {
    const doc = pipeline(textDocument.uri);
    return (doc && prepareRename(doc.getText(), position)) ?? null;
  });
  connection.onRenameRequest(({ textDocument, position, newName }) => {
    const doc = pipeline(textDocument.uri);
    if (!doc) return null;
    const result = rename(doc.getText(), position, newName);
    if (!result.ok) throw new Error(result.message);
    return { changes: { [textDocument.uri]: result.edits } };
  });
  connection.onDocumentSymbol(({ textDocument }) => {
    const doc = pipeline(textDocument.uri);
    return doc ? documentSymbols(doc.getText()) : null;
  });
  connection.onDocumentFormatting(({ textDocument, options }) => {
    const doc = pipeline(textDocument.uri);
    return doc ? format(doc.getText(), { tabSize: options.tabSize }) : null;
  });
  connection.onFoldingRanges(({ textDocument }) => {
    const doc = pipeline(textDocument.uri);
    return doc ? foldingRanges(doc.getText()) : null;
  });
  connection.onCodeAction(({ textDocument, context }) => {
    const ours = context.diagnostics.filter((d) => d.source === "latchflow") as Parameters<
      typeof codeActions
    >[1];
    return pipeline(textDocument.uri) ? codeActions(textDocument.uri, ours) : null;
  });

  connection.languages.semanticTokens.on(({ textDocument }) => {
    const doc = pipeline(textDocument.uri);
    return { data: doc ? celSemanticTokens(doc.getText()) : [] };
  });

  documents.listen(connection);
  connection.listen();
}
