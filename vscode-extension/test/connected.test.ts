import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { OWNER_TOKEN, type Stack, startStack } from "@latchflow/e2e/stack";
import { packPlugin } from "@latchflow/plugin-sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CodeAction, CompletionItem, Diagnostic, Hover } from "vscode-languageserver-protocol";
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

  it("Plan / Apply / Open runs lenses when connected (the commands: commands.test.ts)", async () => {
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
      ["latchflow.showRuns", [uri]],
    ]);
    await lsp.close(uri);
  });

  it("references checked against the server: bundles, recipients, plugin secrets, step ids", async () => {
    await stack.client().setPluginSecret({
      params: { name: "latchflow-webhook", secret: "hook-key" },
      body: { value: "s3cr3t-value" },
    });
    const text = edit("bundle: family-archive", "bundle: no-such-bundle")
      .replace("recipients: [alice@example.com]", "recipients: [alice@example.com, nobody@example.com]")
      .replace(
        "  steps:\n",
        [
          "    - id: hook",
          "      uses: webhook@1",
          "      with: { secretName: hook-key }",
          "    - id: other-hook",
          "      uses: webhook@1",
          "      with: { secretName: missing-key }",
          "  steps:",
          "    - id: call",
          "      uses: http@1",
          "      with: { url: https://partner.example.com/hook, signWithSecret: partner-key }",
          "",
        ].join("\n"),
      )
      .replace('if: steps.release.outcome == "succeeded"', 'if: steps.relase.outcome == "succeeded"');
    const uri = "file:///work/references.latchflow.yaml";
    const since = lsp.published.length;
    await lsp.open(uri, text);
    const { diagnostics } = await lsp.diagnostics(uri, since);
    const at = (fragment: string) => find(text, fragment);
    expect(diagnostics.map((d) => [d.code, d.severity, d.range.start])).toEqual([
      ["unknown_secret", 2, at("missing-key")],
      ["unknown_secret", 2, at("partner-key")],
      ["unknown_bundle", 1, at("no-such-bundle")],
      ["unknown_recipient", 1, at("nobody@example.com")],
      ["unknown_step_reference", 1, at("steps.relase")],
    ]);
    expect(diagnostics[1]?.message).toBe(
      "secret 'partner-key' is not set for http@1: the step fails until an admin sets it",
    );
    await lsp.close(uri);

    // a token that may not list plugin secrets: bundles and recipients still checked, secrets said once
    const narrow = await stack.client().createToken({
      body: { name: "editor", scopes: ["pipelines:write", "bundles:read", "recipients:read"] },
    });
    const limited = await LspSession.start({ server: { url: stack.base, token: narrow.token } });
    try {
      const next = limited.published.length;
      await limited.open(uri, text);
      const found = (await limited.diagnostics(uri, next)).diagnostics;
      expect(found.map((d) => d.code)).toEqual([
        "unknown_bundle",
        "unknown_recipient",
        "unknown_step_reference",
        "secrets_not_checked",
      ]);
      expect(found.at(-1)?.message).toBe(
        "Plugin secrets are not checked: listing a plugin's secrets needs plugins:admin, which this token lacks",
      );
    } finally {
      await limited.stop();
    }
  });

  it("a deprecated major of an installed plugin: a warning, struck through, and its quick fix", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lf-vscode-plugin-"));
    try {
      // the e2e tests' plugin that moved from echo@1 to echo@2 and serves echo@1 through migrate
      const e2eTests = dirname(createRequire(import.meta.url).resolve("@latchflow/e2e/stack"));
      const packed = await packPlugin({
        dir: join(e2eTests, "pipelines/fixtures/echo-v2"),
        outFile: join(dir, "echo.tgz"),
      });
      const api = stack.client();
      await api.installPlugin({ body: readFileSync(packed.file), contentType: "application/gzip" });
      await api.updatePlugin({
        params: { name: "latchflow-plugin-echo" },
        body: { capabilities: { "latchflow-plugin-echo/echo@2": true } },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // the capability list is read when the language server connects
    const fresh = await LspSession.start({ server: { url: stack.base, token: OWNER_TOKEN } });
    try {
      const uri = "file:///work/echo.latchflow.yaml";
      const text = `${EXAMPLE}    - id: echo\n      uses: latchflow-plugin-echo/echo@1\n      with: { text: hi }\n`;
      const since = fresh.published.length;
      await fresh.open(uri, text);
      const { diagnostics } = await fresh.diagnostics(uri, since);
      const p = find(text, "latchflow-plugin-echo/echo@1");
      const end = { line: p.line, character: p.character + "latchflow-plugin-echo/echo@1".length };
      expect(diagnostics).toEqual([
        expect.objectContaining({
          code: "deprecated_capability",
          severity: 2,
          tags: [2],
          range: { start: p, end },
          data: { suggestion: "latchflow-plugin-echo/echo@2" },
        }),
      ]);
      const actions = await fresh.request<CodeAction[]>("textDocument/codeAction", {
        textDocument: { uri },
        range: { start: p, end },
        context: { diagnostics: diagnostics as Diagnostic[] },
      });
      expect(actions.map((a) => [a.title, a.edit?.changes?.[uri]])).toEqual([
        [
          "Use 'latchflow-plugin-echo/echo@2' (replaces the deprecated major)",
          [{ range: { start: p, end }, newText: "latchflow-plugin-echo/echo@2" }],
        ],
      ]);
      // the hover says what replaces it (the server's docs of the migrated major)
      const hover = await fresh.request<Hover>("textDocument/hover", { textDocument: { uri }, position: p });
      expect(JSON.stringify(hover.contents)).toContain("Replaced by latchflow-plugin-echo/echo@2");
    } finally {
      await fresh.stop();
    }
    // disabled on the server: the editor says so (as saving would: 409 capability_unavailable), not "unknown"
    await stack.client().updatePlugin({
      params: { name: "latchflow-plugin-echo" },
      body: { capabilities: { "latchflow-plugin-echo/echo@2": false } },
    });
    const later = await LspSession.start({ server: { url: stack.base, token: OWNER_TOKEN } });
    try {
      const uri = "file:///work/echo-disabled.latchflow.yaml";
      const text = `${EXAMPLE}    - id: echo\n      uses: latchflow-plugin-echo/echo@2\n      with: { message: hi }\n`;
      const since = later.published.length;
      await later.open(uri, text);
      const { diagnostics } = await later.diagnostics(uri, since);
      expect(diagnostics).toEqual([
        expect.objectContaining({ code: "capability_disabled", severity: 1, range: expect.anything() }),
      ]);
    } finally {
      await later.stop();
    }
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
