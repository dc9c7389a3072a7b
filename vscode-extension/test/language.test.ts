import { builtinCatalog } from "@latchflow/builtin-plugins";
import { describe, expect, it } from "vitest";
import {
  celSemanticTokens,
  celTokens,
  codeActions,
  complete,
  definition,
  diagnose,
  documentSymbols,
  foldingRanges,
  format,
  hover,
  isPipelineDocument,
  prepareRename,
  REFERENCES_NOT_CHECKED,
  references,
  rename,
  SECRETS_NOT_CHECKED,
} from "../src/language/index.js";
import { cursor, EXAMPLE, edit, find } from "./fixtures.js";

const capabilities = builtinCatalog();
const errors = async (text: string) =>
  (await diagnose(text, { capabilities })).filter((d) => d.code !== REFERENCES_NOT_CHECKED);

describe("diagnostics", () => {
  it("the example is clean; offline, one information diagnostic says references are not checked", async () => {
    const all = await diagnose(EXAMPLE, { capabilities });
    expect(all).toEqual([
      expect.objectContaining({
        code: REFERENCES_NOT_CHECKED,
        severity: 3,
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      }),
    ]);
  });

  it("with a resolver, references are checked and nothing is said about it", async () => {
    const text = edit("bundle: family-archive", "bundle: family-archiv");
    const all = await diagnose(text, {
      capabilities,
      resolver: { bundleExists: async (n) => n === "family-archive", recipientExists: async () => true },
    });
    const p = find(text, "family-archiv");
    expect(all).toEqual([
      expect.objectContaining({
        code: "unknown_bundle",
        severity: 1,
        range: { start: p, end: { line: p.line, character: p.character + "family-archiv".length } },
      }),
    ]);
  });

  it("YAML syntax errors, 0-based", async () => {
    const [d] = await errors(edit("kind: Pipeline", "kind: Pipeline\n\tbad: tab"));
    expect(d).toMatchObject({ code: "yaml_syntax", severity: 1, range: { start: { line: 3 } } });
  });

  it("an unknown capability with its did-you-mean and a quick fix", async () => {
    const text = edit("uses: grant@1", "uses: grnat@1");
    const [d] = await errors(text);
    const p = find(text, "grnat@1");
    expect(d).toMatchObject({
      code: "unknown_capability",
      range: { start: p, end: { line: p.line, character: p.character + 7 } },
      data: { suggestion: "grant@1" },
    });
    const [fix] = codeActions("file:///x.latchflow.yaml", [d!]);
    expect(fix?.edit.changes["file:///x.latchflow.yaml"]).toEqual([{ range: d!.range, newText: "grant@1" }]);
  });

  it("capability config by major: a missing and an unknown key of with:", async () => {
    const text = edit('        subject: "Your archive"\n', '        subjct: "Your archive"\n');
    const found = await errors(text);
    expect(found.map((d) => d.code)).toContain("config_schema");
    const p = find(text, "subjct");
    expect(found.some((d) => d.range.start.line === p.line)).toBe(true);
  });

  it("CEL type errors point inside the expression", async () => {
    const text = edit('if: trigger.kind == "fired"', "if: trigger.kind == 3");
    const [d] = await errors(text);
    expect(d?.code).toBe("cel_type");
    const ifAt = find(text, "trigger.kind == 3");
    expect(d!.range.start.line).toBe(ifAt.line);
    expect(d!.range.start.character).toBeGreaterThanOrEqual(ifAt.character);
    expect(d!.range.end.character).toBeLessThanOrEqual(ifAt.character + "trigger.kind == 3".length);
  });

  it("a deprecated major: a warning, struck through, with a quick fix to the major that replaces it", async () => {
    const catalog = {
      ...capabilities,
      "acme/echo@2": { kind: "action" as const, configSchema: { type: "object" } },
      "acme/echo@1": { kind: "action" as const, configSchema: { type: "object" }, replacedBy: "acme/echo@2" },
    };
    const text = `${EXAMPLE}    - id: echo\n      uses: acme/echo@1\n`;
    const found = (await diagnose(text, { capabilities: catalog })).filter((d) => d.severity !== 3);
    const p = find(text, "acme/echo@1");
    expect(found).toEqual([
      expect.objectContaining({
        code: "deprecated_capability",
        severity: 2,
        tags: [2],
        range: { start: p, end: { line: p.line, character: p.character + 11 } },
        data: { suggestion: "acme/echo@2" },
      }),
    ]);
    const [fix] = codeActions("file:///x.latchflow.yaml", found);
    expect(fix).toMatchObject({
      title: "Use 'acme/echo@2' (replaces the deprecated major)",
      isPreferred: true,
      edit: { changes: { "file:///x.latchflow.yaml": [{ range: found[0]!.range, newText: "acme/echo@2" }] } },
    });
  });

  it("a connection that cannot check secrets says so once, only where a secret is named", async () => {
    const resolver = { bundleExists: async () => true, recipientExists: async () => true };
    const hook = edit(
      "  steps:\n",
      "    - id: hook\n      uses: webhook@1\n      with: { secretName: hook-key }\n  steps:\n",
    );
    const reason = "the token may not list plugin secrets (plugins:admin)";
    const said = async (text: string) =>
      (await diagnose(text, { capabilities, resolver, secretsUncheckedReason: reason })).map((d) => [
        d.code,
        d.message,
      ]);
    expect(await said(hook)).toEqual([[SECRETS_NOT_CHECKED, `Plugin secrets are not checked: ${reason}`]]);
    expect(await said(EXAMPLE)).toEqual([]);
  });

  it("a step id reference to a later or missing step", async () => {
    const text = edit('if: trigger.kind == "fired"', 'if: steps.tell.outcome == "succeeded"');
    const [d] = await errors(text);
    const p = find(text, "steps.tell");
    expect(d).toMatchObject({ code: "unknown_step_reference", range: { start: { line: p.line } } });
    expect(d!.range.start.character).toBeGreaterThanOrEqual(p.character);
  });

  it("columns count UTF-16 code units (non-ASCII and astral characters before the error)", async () => {
    const text = edit("description: Release", "description: 👪 Fämily — Release").replace(
      "uses: grant@1",
      "uses: grant@1 # 👪\n      x-é: 1",
    );
    const found = await errors(text);
    expect(found[0]?.code).toBe("schema");
    const emoji = edit("uses: grant@1", 'uses: "👪"');
    const [d] = await errors(emoji);
    const p = find(emoji, '"👪"');
    // the emoji is two UTF-16 units: the quoted value spans 4 columns
    expect(d?.range).toEqual({ start: p, end: { line: p.line, character: p.character + 4 } });
  });
});

describe("activation", () => {
  it("*.latchflow.yaml files and YAML with apiVersion latchflow.dev/v1", () => {
    expect(isPipelineDocument("file:///a/b.latchflow.yaml", "")).toBe(true);
    expect(isPipelineDocument("file:///a/b.yaml", EXAMPLE)).toBe(true);
    expect(isPipelineDocument("file:///a/b.yaml", 'apiVersion: "latchflow.dev/v1"\n')).toBe(true);
    expect(isPipelineDocument("file:///a/k8s.yaml", "apiVersion: apps/v1\nkind: Deployment\n")).toBe(false);
    expect(isPipelineDocument("file:///a/x.yaml", "  apiVersion: latchflow.dev/v1\n")).toBe(false);
  });
});

const labels = (text: string) => {
  const c = cursor(text);
  return complete(c.text, c.position, capabilities).map((i) => i.label);
};

describe("completion", () => {
  it("top-level keys, and step keys not yet written", () => {
    expect(labels("‸")).toEqual(expect.arrayContaining(["apiVersion", "kind", "metadata", "spec"]));
    const items = labels(edit("      timeout: 1m\n", "      timeout: 1m\n      ‸\n"));
    expect(items).toEqual(expect.arrayContaining(["onFailure"]));
    expect(items).not.toContain("timeout");
    expect(items).not.toContain("uses");
  });

  it("keys of with: from the capability's config schema, by major", () => {
    const items = labels(edit("        maxDownloads: 3\n", "        maxDownloads: 3\n        ‸\n"));
    expect(items).toEqual(expect.arrayContaining(["notAfter", "passphrase", "message"]));
    expect(items).not.toContain("bundle");
    const c = cursor(edit("        maxDownloads: 3\n", "        maxDownloads: 3\n        pass‸\n"));
    const item = complete(c.text, c.position, capabilities).find((i) => i.label === "passphrase");
    expect(item?.textEdit?.range).toEqual({
      start: { line: c.position.line, character: 8 },
      end: c.position,
    });
    expect(item?.documentation?.value).toBeTruthy();
  });

  it("keys of a new sequence item", () => {
    const items = labels(edit("    - id: tell\n", "    - ‸\n    - id: tell\n"));
    expect(items).toEqual(expect.arrayContaining(["id", "uses", "if", "retry"]));
  });

  it("uses: offers the built-in capabilities of the right kind, with their docs", () => {
    const c = cursor(edit("uses: grant@1", "uses: gr‸"));
    const items = complete(c.text, c.position, capabilities);
    expect(items.map((i) => i.label)).toEqual(expect.arrayContaining(["grant@1", "email@1", "http@1"]));
    expect(items.map((i) => i.label)).not.toContain("cron@1");
    const grant = items.find((i) => i.label === "grant@1")!;
    expect(grant.documentation?.value).toContain("Assigns `bundle`");
    expect(grant.textEdit?.range.start).toEqual({ line: c.position.line, character: 12 });
    const t = cursor(edit("uses: deadman@1", "uses: ‸"));
    expect(complete(t.text, t.position, capabilities).map((i) => i.label)).toContain("cron@1");
  });

  it("enum values", () => {
    expect(labels(edit("      timeout: 1m\n", "      timeout: 1m\n      onFailure: ‸\n"))).toEqual([
      "stop",
      "continue",
    ]);
    expect(labels(edit("  enabled: true", "  enabled: ‸"))).toEqual(
      expect.arrayContaining(["true", "false"]),
    );
  });

  it("inside if: trigger., steps. (earlier steps only) and steps.<id>.", () => {
    expect(labels(edit('if: trigger.kind == "fired"', "if: trigger.‸"))).toEqual(
      expect.arrayContaining(["id", "uses", "kind", "payload", "firedAt"]),
    );
    expect(labels(edit('if: steps.release.outcome == "succeeded"', "if: steps.‸"))).toEqual([
      "tell-guardian",
      "release",
    ]);
    const c = cursor(edit('if: steps.release.outcome == "succeeded"', "if: steps.‸"));
    const dashed = complete(c.text, c.position, capabilities).find((i) => i.label === "tell-guardian");
    expect(dashed?.textEdit?.newText).toBe('["tell-guardian"]');
    expect(labels(edit('if: steps.release.outcome == "succeeded"', "if: steps.release.out‸"))).toEqual([
      "outputs",
      "outcome",
    ]);
    expect(labels(edit('if: steps.release.outcome == "succeeded"', "if: tr‸"))).toEqual(["trigger", "steps"]);
  });
});

describe("completion inside flow maps written on one line", () => {
  const at = (from: string, to: string) => cursor(edit(from, to));
  const items = (c: ReturnType<typeof cursor>) => complete(c.text, c.position, capabilities);

  it("keys of a capability's with: { … }, those written left out, inserted as `key: `", () => {
    const text = edit(
      '      with:\n        to: [guardian@example.com]\n        subject: "Release pending"\n        text: "..."\n',
      '      with: { to: [guardian@example.com], subject: "a: b, c", ‸ }\n',
    );
    const found = items(cursor(text));
    const labels = found.map((i) => i.label);
    expect(labels).toEqual(expect.arrayContaining(["text", "html", "cc"]));
    expect(labels).not.toContain("to");
    expect(labels).not.toContain("subject");
    expect(found.find((i) => i.label === "text")?.textEdit?.newText).toBe("text: ");
  });

  it("values in a flow map: enum values of retry: { backoff: ‸ }, nested keys inserted on the same line", () => {
    const c = at("backoff: exponential", "backoff: ‸");
    expect(items(c).map((i) => i.label)).toEqual(["exponential", "fixed"]);
    const keys = items(
      at(
        "retry: { maxAttempts: 5, backoff: exponential, initialInterval: 10s, maxInterval: 10m }",
        "retry: { ‸ }",
      ),
    );
    expect(keys.map((i) => i.label)).toEqual(
      expect.arrayContaining(["maxAttempts", "backoff", "nonRetryable"]),
    );
    expect(keys.every((i) => i.textEdit?.newText === `${i.label}: `)).toBe(true);
  });

  it("uses: in a step written as a flow map, replacing the value typed so far", () => {
    const text = `${EXAMPLE}    - { id: extra, uses: gr‸ }\n`;
    const c = cursor(text);
    const found = items(c);
    expect(found.map((i) => i.label)).toContain("grant@1");
    expect(found.map((i) => i.label)).not.toContain("cron@1"); // a trigger, not an action
    expect(found[0]?.textEdit?.range).toEqual({
      start: { line: c.position.line, character: c.position.character - 2 },
      end: c.position,
    });
  });

  it("CEL members inside if: of a flow-map step", () => {
    const text = `${EXAMPLE}    - { id: extra, uses: email@1, if: steps.release.out‸ }\n`;
    expect(items(cursor(text)).map((i) => i.label)).toEqual(["outputs", "outcome"]);
  });
});

describe("hover", () => {
  it("a capability's docs on uses:, a field's description from the config schema and the pipeline schema", () => {
    const u = find(EXAMPLE, "grant@1");
    expect(hover(EXAMPLE, u, capabilities)?.contents.value).toContain("Assigns `bundle`");
    const k = find(EXAMPLE, "maxDownloads");
    expect(hover(EXAMPLE, k, capabilities)?.contents.value).toMatch(/^\*\*maxDownloads\*\*/);
    const n = find(EXAMPLE, "name: family");
    expect(hover(EXAMPLE, n, capabilities)?.contents.value).toContain("Lowercase DNS label");
    const r = find(EXAMPLE, "release.outcome");
    expect(hover(EXAMPLE, r, capabilities)?.contents.value).toContain("grant@1");
  });
});

describe("outline, folding", () => {
  it("triggers and steps with their ids and uses", () => {
    const symbols = documentSymbols(EXAMPLE);
    expect(symbols.map((s) => s.name)).toEqual(["triggers", "steps"]);
    expect(symbols[1]!.children!.map((c) => [c.name, c.detail])).toEqual([
      ["tell-guardian", "email@1"],
      ["release", "grant@1"],
      ["tell", "email@1"],
    ]);
    expect(symbols[1]!.children![1]!.selectionRange.start).toEqual(find(EXAMPLE, "release"));
  });

  it("folds maps and sequence items spanning lines", () => {
    const ranges = foldingRanges(EXAMPLE);
    expect(ranges).toContainEqual({
      startLine: find(EXAMPLE, "spec:").line,
      endLine: find(EXAMPLE, "Assignments").line,
    });
    const w = find(EXAMPLE, "with:", 1).line;
    expect(ranges).toContainEqual({ startLine: w, endLine: w + 3 });
  });
});

describe("definition, references, rename", () => {
  it("from steps.<id> in if: and in templates to the step's id", () => {
    const def = find(EXAMPLE, "release", 0);
    const use = find(EXAMPLE, "release.outcome");
    expect(definition(EXAMPLE, use)).toEqual({
      start: def,
      end: { line: def.line, character: def.character + 7 },
    });
    expect(references(EXAMPLE, def)).toHaveLength(3);
  });

  it("renames a step id everywhere; refuses bad or taken ids", () => {
    const use = find(EXAMPLE, "release.outputs");
    expect(prepareRename(EXAMPLE, use)?.placeholder).toBe("release");
    const result = rename(EXAMPLE, use, "grant");
    if (!result.ok) throw new Error(result.message);
    expect(result.edits).toHaveLength(3);
    expect(rename(EXAMPLE, use, "Bad_Id")).toMatchObject({ ok: false });
    expect(rename(EXAMPLE, use, "tell")).toMatchObject({ ok: false });
    const dashed = rename(EXAMPLE, use, "give-access");
    expect(dashed.ok && dashed.edits.map((e) => e.newText)).toEqual([
      "give-access",
      '["give-access"]',
      '["give-access"]',
    ]);
  });
});

describe("formatting", () => {
  it("re-indents and keeps comments", () => {
    const messy =
      "# top\napiVersion: latchflow.dev/v1   # version\nkind: Pipeline\nmetadata:\n      name: x # the name\nspec:\n  triggers:\n  - id: a\n    uses: manual@1\n  steps: []\n";
    const [e] = format(messy, { tabSize: 2 });
    expect(e?.newText).toContain("# top");
    expect(e?.newText).toContain("# version");
    expect(e?.newText).toContain("  name: x # the name");
    expect(e?.newText).toContain("  triggers:\n    - id: a\n      uses: manual@1");
    expect(format(e!.newText, { tabSize: 2 })).toEqual([]);
    expect(format("a: [\n", { tabSize: 2 })).toEqual([]);
  });
});

describe("semantic highlighting of CEL", () => {
  it("tokens of an expression", () => {
    const expr = 'steps["b-x"].outcome in ["succeeded"] && size(trigger.payload) > 2';
    const named = celTokens(expr).map(([s, l, t]) => `${expr.slice(s, s + l)}:${t}`);
    expect(named).toEqual([
      "steps:variable",
      '"b-x":string',
      "outcome:property",
      "in:keyword",
      '"succeeded":string',
      "&&:operator",
      "size:function",
      "trigger:variable",
      "payload:property",
      ">:operator",
      "2:number",
    ]);
  });

  it("LSP-encoded tokens inside each if:, at the expression's position", () => {
    const data = celSemanticTokens(EXAMPLE);
    const first = find(EXAMPLE, 'trigger.kind == "fired"');
    expect(data.slice(0, 5)).toEqual([first.line, first.character, "trigger".length, 0, 0]);
    // trigger . kind == "fired" → 4 tokens; steps . release . outcome == "succeeded" → 5
    expect(data.length / 5).toBe(4 + 5);
  });

  /** The tokens as `line:col text type` (decoded from LSP's relative encoding). */
  const decode = (text: string) => {
    const data = celSemanticTokens(text);
    const lines = text.split("\n");
    const out: string[] = [];
    let line = 0;
    let char = 0;
    for (let i = 0; i < data.length; i += 5) {
      line += data[i]!;
      char = data[i]! === 0 ? char + data[i + 1]! : data[i + 1]!;
      out.push(`${line}:${char} ${lines[line]!.slice(char, char + data[i + 2]!)} ${data[i + 3]}`);
    }
    return out;
  };

  it("multi-line if: block scalars (| and >-), plain and quoted, line by line at their positions", () => {
    const cond = 'if: steps.release.outcome == "succeeded"';
    for (const written of [
      'if: | # both\n        steps.release.outcome == "succeeded" &&\n          trigger.kind == "fired"',
      'if: >-\n        steps.release.outcome == "succeeded" &&\n          trigger.kind == "fired"',
      'if: steps.release.outcome == "succeeded" &&\n        trigger.kind == "fired"',
      "if: \"steps.release.outcome == 'succeeded' &&\n        trigger.kind == 'fired'\"",
    ]) {
      const text = edit(cond, written);
      const tokens = decode(text).slice(4); // the first step's condition: trigger . kind == "fired"
      const first = find(text, "steps.release.outcome", 0);
      const second = find(text, "trigger.kind", 1);
      const quote = written.includes("'") ? "'" : '"';
      expect(tokens, written).toEqual([
        `${first.line}:${first.character} steps 0`,
        `${first.line}:${first.character + 6} release 1`,
        `${first.line}:${first.character + 14} outcome 1`,
        `${first.line}:${first.character + 22} == 6`,
        `${first.line}:${first.character + 25} ${quote}succeeded${quote} 4`,
        `${first.line}:${first.character + 37} && 6`,
        `${second.line}:${second.character} trigger 0`,
        `${second.line}:${second.character + 8} kind 1`,
        `${second.line}:${second.character + 13} == 6`,
        `${second.line}:${second.character + 16} ${quote}fired${quote} 4`,
      ]);
    }
    // a quoted value with escapes is left alone (its source and value differ)
    expect(decode(edit(cond, 'if: "steps.release.outcome == \\"succeeded\\""')).length).toBe(4);
  });
});
