// Drives the language server as an editor does: a child process over stdio JSON-RPC.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  createProtocolConnection,
  type Diagnostic,
  type InitializeResult,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";

const MAIN = fileURLToPath(new URL("../src/server/main.ts", import.meta.url));

/** A started server with an initialized connection, and every diagnostics notification it sent. */
export class LspSession {
  readonly published: PublishDiagnosticsParams[] = [];
  private waiters: (() => void)[] = [];
  private versions = new Map<string, number>();

  private constructor(
    readonly child: ChildProcess,
    readonly rpc: ProtocolConnection,
    readonly initialized: InitializeResult,
  ) {}

  /** Spawns `node --import tsx src/server/main.ts --stdio` (or a given script, e.g. the bundle). */
  static async start(initializationOptions: unknown = {}, script = MAIN): Promise<LspSession> {
    const args = script.endsWith(".ts") ? ["--import", "tsx", script, "--stdio"] : [script, "--stdio"];
    const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
    const rpc = createProtocolConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
    );
    const published: PublishDiagnosticsParams[] = [];
    let session: LspSession | undefined;
    rpc.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
      (session?.published ?? published).push(p);
      for (const w of session?.waiters.splice(0) ?? []) w();
    });
    rpc.listen();
    const initialized = (await rpc.sendRequest("initialize", {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      initializationOptions,
    })) as InitializeResult;
    await rpc.sendNotification("initialized", {});
    session = new LspSession(child, rpc, initialized);
    session.published.push(...published);
    return session;
  }

  async open(uri: string, text: string, languageId = "yaml"): Promise<void> {
    this.versions.set(uri, 1);
    await this.rpc.sendNotification("textDocument/didOpen", {
      textDocument: { uri, languageId, version: 1, text },
    });
  }

  /** An incremental change: replaces `range` with `text`. */
  async change(uri: string, range: Diagnostic["range"], text: string): Promise<void> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.rpc.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [{ range, text }],
    });
  }

  async close(uri: string): Promise<void> {
    await this.rpc.sendNotification("textDocument/didClose", { textDocument: { uri } });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.rpc.sendRequest(method, params) as Promise<R>;
  }

  /** The next diagnostics published for `uri` after `since` notifications (default: after those seen so far). */
  async diagnostics(
    uri: string,
    since = this.published.length,
    timeoutMs = 10_000,
  ): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.published.slice(since).find((p) => p.uri === uri);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no diagnostics for ${uri} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    try {
      await this.rpc.sendRequest("shutdown");
      await this.rpc.sendNotification("exit");
    } finally {
      this.rpc.dispose();
      if (this.child.exitCode === null) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            this.child.kill();
            resolve();
          }, 2_000);
          this.child.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    }
  }
}
