import { createClient } from "@latchflow/api/client";
import { OWNER_TOKEN, type Stack, startStack } from "@latchflow/e2e/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompletionItem, Hover } from "vscode-languageserver-protocol";
import { runPipelineCommand, type Ui } from "../src/client/pipeline-commands.js";
import { EXAMPLE, edit, find } from "./fixtures.js";
import { LspSession } from "./lsp-client.js";

const URI = "file:///work/family-legacy.latchflow.yaml";

describe("language server connected to a real embedded Latchflow server", { timeout: 120_000 }, () => {
  let stack: Stack;
  let lsp: LspSession;
  let bundleId: string;
  let aliceId: string;
  beforeAll(async () => {
    stack = await startStack("sqlite", "in-process", "lsp");
    const api = stack.client();
    bundleId = (await api.createBundle({ body: { name: "family-archive" } })).id;
    await api.createBundle({ body: { name: "tax-papers" } });
    aliceId = (await api.createRecipient({ body: { email: "alice@example.com", name: "Alice" } })).id;
    await api.createRecipient({ body: { email: "carol@example.com", enabled: false } });
    lsp = await LspSession.start({ server: { url: stack.base, token: OWNER_TOKEN } });
  });
  afterAll(async () => {
    await lsp?.stop();
    await stack?.stop();
  });

  it("checks bundles and recipients against the server; says nothing about offline references", async () => {
    const since = lsp.published.length;
    await lsp.open(URI, EXAMPLE);
    expect((await lsp.diagnostics(URI, since)).diagnostics).toEqual([]);

    const text = edit("bundle: family-archive", "bundle: family-archiv").replace(
      "recipients: [alice@example.com]",
      "recipients: [bob@example.com]",
    );
    const other = "file:///work/other.latchflow.yaml";
    const next = lsp.published.length;
    await lsp.open(other, text);
    const { diagnostics } = await lsp.diagnostics(other, next);
    const b = find(text, "family-archiv");
    const r = find(text, "bob@example.com");
    expect(diagnostics.map((d) => [d.code, d.range.start])).toEqual([
      ["unknown_bundle", b],
      ["unknown_recipient", r],
    ]);
  });

  it("completes uses: from the server's capability list", async () => {
    const p = find(EXAMPLE, "grant@1");
    const items = await lsp.request<CompletionItem[]>("textDocument/completion", {
      textDocument: { uri: URI },
      position: { line: p.line, character: p.character + 1 },
    });
    expect(items.map((i) => i.label)).toEqual(expect.arrayContaining(["grant@1", "email@1"]));
  });

  it("completes bundle names and recipient emails from the server where a step names them", async () => {
    const uri = "file:///work/typing.latchflow.yaml";
    const text = edit("bundle: family-archive", "bundle: ta").replace(
      "recipients: [alice@example.com]",
      "recipients: [alice@example.com, ]",
    );
    await lsp.open(uri, text);
    const b = find(text, "bundle: ta");
    const bundles = await lsp.request<CompletionItem[]>("textDocument/completion", {
      textDocument: { uri },
      position: { line: b.line, character: b.character + 10 },
    });
    // editors order by sortText (enabled first, then by name); the server lists newest first
    expect(bundles.map((i) => [i.label, i.detail]).sort()).toEqual([
      ["family-archive", "bundle · enabled"],
      ["tax-papers", "bundle · enabled"],
    ]);
    const r = find(text, ", ]");
    const recipients = await lsp.request<CompletionItem[]>("textDocument/completion", {
      textDocument: { uri },
      position: { line: r.line, character: r.character + 2 },
    });
    // alice is already listed
    expect(recipients.map((i) => [i.label, i.detail])).toEqual([["carol@example.com", "disabled"]]);
    await lsp.close(uri);
  });

  it("hover shows the resolved bundle and recipient (name, id, enabled)", async () => {
    const hoverAt = (fragment: string) =>
      lsp.request<Hover>("textDocument/hover", {
        textDocument: { uri: URI },
        position: find(EXAMPLE, fragment),
      });
    expect((await hoverAt("family-archive")).contents).toEqual({
      kind: "markdown",
      value: `**bundle \`family-archive\`** — enabled\n\nid \`${bundleId}\``,
    });
    expect((await hoverAt("alice@example.com")).contents).toEqual({
      kind: "markdown",
      value: `**recipient Alice <alice@example.com>** — enabled\n\nid \`${aliceId}\``,
    });
    // the key still gets its schema description
    expect(JSON.stringify((await hoverAt("maxDownloads")).contents)).toContain("maxDownloads");
  });

  it("Plan / Apply / Run lenses when connected, and their commands through the typed client", async () => {
    const uri = "file:///work/lenses.latchflow.yaml";
    await lsp.open(uri, EXAMPLE);
    const lenses = await lsp.request<
      { command?: { title: string; command: string; arguments?: unknown[] } }[]
    >("textDocument/codeLens", { textDocument: { uri } });
    expect(
      lenses.filter((l) => l.command?.command).map((l) => [l.command?.command, l.command?.arguments]),
    ).toEqual([
      ["latchflow.plan", [uri]],
      ["latchflow.apply", [uri]],
    ]);
    await lsp.close(uri);

    // the editor faked at its one seam: messages recorded, confirmations answered from a queue
    const said: string[] = [];
    const answers: boolean[] = [];
    const ui: Ui = {
      info: async (m) => said.push(`info: ${m}`),
      error: async (m) => said.push(`error: ${m}`),
      confirm: async (m, action) => {
        said.push(`confirm ${action}: ${m}`);
        return answers.shift() ?? false;
      },
    };
    const api = createClient({ baseUrl: stack.base, token: OWNER_TOKEN });
    const manual = EXAMPLE.replace("name: family-legacy", "name: lsp-manual").replace(
      /uses: deadman@1[^\n]*\n {6}with:\n(?: {8}.*\n)+/,
      "uses: manual@1\n",
    );
    await runPipelineCommand("latchflow.plan", manual, api, ui);
    answers.push(false);
    await runPipelineCommand("latchflow.apply", manual, api, ui); // declined: nothing stored
    answers.push(true);
    await runPipelineCommand("latchflow.apply", manual, api, ui);
    await runPipelineCommand("latchflow.plan", manual, api, ui);
    await runPipelineCommand(
      "latchflow.plan",
      manual.replace('subject: "Your archive"', 'subject: "Yours"'),
      api,
      ui,
    );
    answers.push(true);
    await runPipelineCommand("latchflow.run", manual, api, ui);
    answers.push(true);
    await runPipelineCommand("latchflow.apply", edit("uses: grant@1", "uses: grnat@1"), api, ui);
    await runPipelineCommand("latchflow.plan", manual, undefined, ui);
    const lines = manual.split("\n").length - 1;
    expect(said).toEqual([
      `info: lsp-manual: new pipeline, applying creates it (${lines} lines).`,
      `confirm Apply: lsp-manual: new pipeline, applying creates it (${lines} lines).`,
      `confirm Apply: lsp-manual: new pipeline, applying creates it (${lines} lines).`,
      "info: lsp-manual: applied, now version 1.",
      "info: lsp-manual: no changes (version 1 on the server).",
      "info: lsp-manual: applying changes it (version 1 on the server): 1 lines added, 1 removed.",
      "confirm Run: Run lsp-manual now?",
      expect.stringMatching(/^info: lsp-manual: run \S+ started \((queued|running|succeeded)\)\.$/),
      `confirm Apply: family-legacy: new pipeline, applying creates it (${EXAMPLE.split("\n").length - 1} lines).`,
      expect.stringMatching(/^error: family-legacy: .+ \(1 problem, see the Problems view\)$/),
      "error: Not connected: set latchflow.server.url and run “Latchflow: Set API token”.",
    ]);
    expect((await api.listPipelines()).items.map((p) => p.name)).toEqual(["lsp-manual"]);
  });

  it("a wrong token falls back to offline validation", async () => {
    const offline = await LspSession.start({ server: { url: stack.base, token: "lf_wrong" } });
    try {
      const since = offline.published.length;
      await offline.open(URI, EXAMPLE);
      const { diagnostics } = await offline.diagnostics(URI, since);
      expect(diagnostics.map((d) => d.code)).toEqual(["references_not_checked"]);
      expect(diagnostics[0]?.message).toContain(`cannot use ${stack.base}`);
    } finally {
      await offline.stop();
    }
  });
});
