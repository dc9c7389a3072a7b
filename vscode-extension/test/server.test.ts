import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  CodeLens,
  CompletionItem,
  DocumentSymbol,
  FoldingRange,
  Hover,
  Location,
  TextEdit,
  WorkspaceEdit,
} from "vscode-languageserver-protocol";
import { VALIDATE_WORKSPACE, validateWorkspace, type WorkspaceReport } from "../src/client/workspace.js";
import { VALIDATE_WORKSPACE as SERVER_REQUEST } from "../src/server/workspace.js";
import { FakeEditor } from "./fake-editor.js";
import { EXAMPLE, edit, find } from "./fixtures.js";
import { LspSession } from "./lsp-client.js";

const URI = "file:///work/family-legacy.latchflow.yaml";
const doc = { textDocument: { uri: URI } };

describe("language server over stdio (offline)", () => {
  let lsp: LspSession;
  beforeAll(async () => {
    lsp = await LspSession.start();
  });
  afterAll(async () => {
    await lsp?.stop();
  });

  it("initializes with incremental sync and the features", () => {
    expect(lsp.initialized.capabilities).toMatchObject({
      textDocumentSync: { openClose: true, change: 2 },
      hoverProvider: true,
      codeLensProvider: { resolveProvider: false },
      definitionProvider: true,
      renameProvider: { prepareProvider: true },
      documentSymbolProvider: true,
      documentFormattingProvider: true,
      foldingRangeProvider: true,
    });
  });

  it("didOpen publishes diagnostics; an incremental didChange republishes them with exact ranges", async () => {
    const since = lsp.published.length;
    await lsp.open(URI, EXAMPLE);
    const first = await lsp.diagnostics(URI, since);
    expect(first.diagnostics.map((d) => d.code)).toEqual(["references_not_checked"]);

    // type "grnat" over "grant" in `uses: grant@1`, one character at a time, as an editor sends it
    const p = find(EXAMPLE, "grant@1");
    const after = lsp.published.length;
    await lsp.change(URI, { start: p, end: { line: p.line, character: p.character + 5 } }, "");
    for (const [i, ch] of [..."grnat"].entries()) {
      const at = { line: p.line, character: p.character + i };
      await lsp.change(URI, { start: at, end: at }, ch);
    }
    const next = await lsp.diagnostics(URI, after);
    // debounced: the five keystrokes give one validation, of the final text
    expect(lsp.published.slice(after).filter((x) => x.uri === URI)).toHaveLength(1);
    expect(next.diagnostics.find((d) => d.code === "unknown_capability")).toMatchObject({
      range: { start: p, end: { line: p.line, character: p.character + 7 } },
      severity: 1,
      source: "latchflow",
      data: { suggestion: "grant@1" },
    });
    const actions = await lsp.request<{ edit: WorkspaceEdit }[]>("textDocument/codeAction", {
      ...doc,
      range: next.diagnostics[0]!.range,
      context: { diagnostics: next.diagnostics },
    });
    expect(actions[0]?.edit.changes?.[URI]?.[0]?.newText).toBe("grant@1");

    // put it back
    const back = lsp.published.length;
    await lsp.change(URI, { start: p, end: { line: p.line, character: p.character + 5 } }, "grant");
    expect((await lsp.diagnostics(URI, back)).diagnostics.map((d) => d.code)).toEqual([
      "references_not_checked",
    ]);
  });

  it("completion: uses: values with docs, and CEL members inside if:", async () => {
    const p = find(EXAMPLE, "grant@1");
    const items = await lsp.request<CompletionItem[]>("textDocument/completion", {
      ...doc,
      position: { line: p.line, character: p.character + 2 },
    });
    const grant = items.find((i) => i.label === "grant@1");
    expect(grant?.documentation).toMatchObject({ kind: "markdown" });
    const t = find(EXAMPLE, "kind ==");
    const members = await lsp.request<CompletionItem[]>("textDocument/completion", { ...doc, position: t });
    expect(members.map((m) => m.label)).toEqual(expect.arrayContaining(["kind", "payload", "firedAt"]));
  });

  it("hover, definition, references, rename, symbols, folding", async () => {
    const hover = await lsp.request<Hover>("textDocument/hover", {
      ...doc,
      position: find(EXAMPLE, "deadman@1"),
    });
    expect(JSON.stringify(hover.contents)).toContain("dead-man switch");

    const use = find(EXAMPLE, "release.outcome");
    const def = await lsp.request<Location>("textDocument/definition", { ...doc, position: use });
    expect(def).toEqual({
      uri: URI,
      range: {
        start: find(EXAMPLE, "release"),
        end: { line: find(EXAMPLE, "release").line, character: find(EXAMPLE, "release").character + 7 },
      },
    });

    const refs = await lsp.request<Location[]>("textDocument/references", {
      ...doc,
      position: use,
      context: { includeDeclaration: true },
    });
    expect(refs).toHaveLength(3);

    const renamed = await lsp.request<WorkspaceEdit>("textDocument/rename", {
      ...doc,
      position: use,
      newName: "grant",
    });
    expect(renamed.changes?.[URI]).toHaveLength(3);
    await expect(
      lsp.request("textDocument/rename", { ...doc, position: use, newName: "tell" }),
    ).rejects.toThrow(/already used/);

    const symbols = await lsp.request<DocumentSymbol[]>("textDocument/documentSymbol", doc);
    expect(symbols.map((s) => [s.name, s.children?.map((c) => c.name)])).toEqual([
      ["triggers", ["switch"]],
      ["steps", ["tell-guardian", "release", "tell"]],
    ]);
    const tokens = await lsp.request<{ data: number[] }>("textDocument/semanticTokens/full", doc);
    expect(tokens.data.length).toBeGreaterThan(0);
    const folds = await lsp.request<FoldingRange[]>("textDocument/foldingRange", doc);
    expect(folds.length).toBeGreaterThan(5);
  });

  it("code lenses: the dead-man ladder, and cron's next five fire times in its time zone", async () => {
    const lenses = await lsp.request<CodeLens[]>("textDocument/codeLens", doc);
    expect(lenses.map((l) => [l.range.start, l.command?.title.split(" · ")[0]])).toEqual([
      [find(EXAMPLE, "deadman@1"), "Check in at least every 30d"],
      [find(EXAMPLE, "deadman@1"), expect.stringMatching(/^Checking in now: reminders /)],
    ]);
    const uri = "file:///work/weekly.latchflow.yaml";
    await lsp.open(
      uri,
      EXAMPLE.replace("uses: deadman@1", "uses: cron@1").replace(
        /checkInEvery: 30d\n.*\n.*\n/,
        "schedule: 0 9 * * MON\n        timeZone: Europe/Berlin\n",
      ),
    );
    const [cron] = await lsp.request<CodeLens[]>("textDocument/codeLens", { textDocument: { uri } });
    expect(cron?.command?.title).toMatch(/^Next \(Europe\/Berlin\): (Mon \d{4}-\d\d-\d\d 09:00( · |$)){5}/);
    await lsp.close(uri);
  });

  it("formatting keeps comments", async () => {
    const uri = "file:///work/messy.latchflow.yaml";
    // metadata indented by 6, the rest by 2: valid YAML, inconsistent style
    const messy = edit("  name: family-legacy", "      name: family-legacy").replace(
      "  description: Release",
      "      description: Release",
    );
    await lsp.open(uri, messy);
    const edits = await lsp.request<TextEdit[]>("textDocument/formatting", {
      textDocument: { uri },
      options: { tabSize: 2, insertSpaces: true },
    });
    expect(edits).toHaveLength(1);
    expect(edits[0]!.newText).toContain("\n  name: family-legacy # lowercase DNS label, unique");
    expect(edits[0]!.newText).toContain("\n  description: Release");
    expect(edits[0]!.newText).toContain("# The ARCHITECTURE §3.4 example, written in block style.");
    expect(edits[0]!.newText).toContain("# CEL over trigger, steps.<id>.outputs/outcome");
    await lsp.close(uri);
  });

  it("didClose clears the diagnostics", async () => {
    const since = lsp.published.length;
    await lsp.close(URI);
    expect(await lsp.diagnostics(URI, since)).toEqual({ uri: URI, diagnostics: [] });
  });

  it("YAML that is not a pipeline gets no diagnostics and no features; apiVersion makes any YAML a pipeline", async () => {
    const k8s = "file:///work/deploy.yaml";
    await lsp.open(k8s, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x\n");
    const detected = "file:///work/pipeline.yaml";
    const since = lsp.published.length;
    await lsp.open(detected, edit("uses: grant@1", "uses: grant@9"));
    const d = await lsp.diagnostics(detected, since);
    expect(d.diagnostics.map((x) => x.code)).toContain("unknown_capability");
    expect(lsp.published.some((p) => p.uri === k8s)).toBe(false);
    expect(await lsp.request("textDocument/documentSymbol", { textDocument: { uri: k8s } })).toBeNull();
  });

  it("Validate workspace: the pipeline documents among the files, read from disk; diagnostics stay after a close and follow the disk", async () => {
    expect(VALIDATE_WORKSPACE).toBe(SERVER_REQUEST);
    const dir = mkdtempSync(join(tmpdir(), "lf-vscode-ws-"));
    try {
      const file = (name: string, text: string) => {
        writeFileSync(join(dir, name), text);
        return pathToFileURL(join(dir, name)).href;
      };
      const valid = file("valid.latchflow.yaml", EXAMPLE);
      const typo = file("typo.yaml", edit("uses: grant@1", "uses: grnat@1")); // a pipeline by its apiVersion
      const broken = file("broken.latchflow.yml", "apiVersion: latchflow.dev/v1\nkind: [\n");
      const other = file("deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\n");
      const editor = new FakeEditor();
      editor.files = [valid, typo, broken, other, pathToFileURL(join(dir, "gone.yaml")).href];
      const since = lsp.published.length;
      const report = await validateWorkspace(editor, (uris) =>
        lsp.request<WorkspaceReport>(VALIDATE_WORKSPACE, { uris }),
      );
      expect(report?.files).toEqual([
        { uri: valid, errors: 0, warnings: 0 },
        { uri: typo, errors: 1, warnings: 0 },
        { uri: broken, errors: 1, warnings: 0 },
      ]);
      expect(editor.said).toEqual([
        "progress: Latchflow: validating the workspace's pipelines…",
        "find: **/*.{yaml,yml}",
        "error: Validated 3 pipeline documents: 2 errors and 0 warnings in 2 files. [Show problems]",
      ]);
      const published = lsp.published.slice(since);
      expect(published.map((p) => p.uri).sort()).toEqual([broken, typo, valid].sort());
      expect(published.find((p) => p.uri === typo)?.diagnostics.map((d) => d.code)).toEqual([
        "unknown_capability",
        "references_not_checked",
      ]);

      // opened, edited without saving and closed: its diagnostics are the file's again, not cleared
      const opened = lsp.published.length;
      await lsp.open(typo, EXAMPLE);
      const live = await lsp.diagnostics(typo, opened);
      expect(live.diagnostics.map((d) => d.code)).toEqual(["references_not_checked"]);
      const closed = lsp.published.length;
      await lsp.close(typo);
      expect((await lsp.diagnostics(typo, closed)).diagnostics.map((d) => d.code)).toContain(
        "unknown_capability",
      );

      // fixed on disk, the broken one deleted: the watcher's events update the Problems view
      writeFileSync(new URL(typo), EXAMPLE);
      unlinkSync(new URL(broken));
      const after = lsp.published.length;
      await lsp.rpc.sendNotification("workspace/didChangeWatchedFiles", {
        changes: [
          { uri: typo, type: 2 },
          { uri: broken, type: 3 },
        ],
      });
      expect((await lsp.diagnostics(typo, after)).diagnostics.map((d) => d.code)).toEqual([
        "references_not_checked",
      ]);
      expect(await lsp.diagnostics(broken, after)).toEqual({ uri: broken, diagnostics: [] });

      const empty = new FakeEditor();
      await validateWorkspace(empty, (uris) => lsp.request<WorkspaceReport>(VALIDATE_WORKSPACE, { uris }));
      expect(empty.said.at(-1)).toBe(
        "info: No pipeline documents in the workspace (*.latchflow.yaml, or YAML with apiVersion: latchflow.dev/v1).",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
