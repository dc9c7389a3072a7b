// The VS Code language server (issue #15): revalidating a 5,000-line pipeline document after an edit, against
// parsing the same text with `yaml` alone in the same run (the floor any YAML-based validator pays).
//   diagnose        the pure function the server calls (YAML, schema, capability configs, CEL, ids)
//   over LSP        didChange (incremental, debounce 0) → publishDiagnostics, the server as a child process
// Target (issue #15): < 200 ms absolute after an edit.
import { builtinCatalog } from "@latchflow/builtin-plugins";
import { diagnose } from "@latchflow/vscode";
import { LspSession } from "@latchflow/vscode/testing";
import { parseDocument } from "yaml";
import { printTable, summarize, timeEach } from "./stats.js";

const RUNS = Number(process.env.BENCH_VSCODE_RUNS ?? 20);

/** A valid pipeline of about `lines` lines: a deadman trigger, then email and grant steps with conditions. */
export function bigPipeline(lines: number): string {
  const out = [
    "# a generated pipeline for the language server benchmark",
    "apiVersion: latchflow.dev/v1",
    "kind: Pipeline",
    "metadata:",
    "  name: big",
    "spec:",
    "  triggers:",
    "    - id: switch",
    "      uses: deadman@1",
    "      with: { checkInEvery: 30d, grace: 7d, remind: [7d, 1d] }",
    "  steps:",
  ];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `    - id: mail-${i}              # step ${i}`,
      "      uses: email@1",
      i === 0
        ? '      if: trigger.kind == "fired"'
        : `      if: steps["mail-${i - 1}"].outcome == "succeeded"`,
      "      with:",
      "        to: [guardian@example.com]",
      `        subject: "Release pending ${i}"`,
      "        text: |",
      `          Step ${i} of the release.`,
      "          {{ trigger.payload.deadline }}",
      "      timeout: 1m",
    );
  }
  return `${out.join("\n")}\n`;
}

export async function benchVscode(): Promise<void> {
  const capabilities = builtinCatalog();
  const base = bigPipeline(5_000);
  const lineCount = base.split("\n").length - 1;
  // each run edits one subject in the middle (a different text every time, as typing gives)
  const edited = (i: number) =>
    base.replace('subject: "Release pending 250"', `subject: "Release pending 250 (${i})"`);
  await diagnose(edited(-1), { capabilities }); // warm: compiled schemas, JIT
  const yamlOnly = summarize(
    "yaml parseDocument (same text)",
    await timeEach(RUNS, async (i) => {
      parseDocument(edited(i), { keepSourceTokens: true });
    }),
  );
  let problems = 0;
  const pure = summarize(
    `diagnose (${lineCount} lines)`,
    await timeEach(RUNS, async (i) => {
      problems += (await diagnose(edited(i), { capabilities })).filter((d) => d.severity === 1).length;
    }),
  );
  if (problems) throw new Error(`the generated pipeline has ${problems} errors`);

  const lsp = await LspSession.start({ debounceMs: 0 });
  const uri = "file:///bench/big.latchflow.yaml";
  let overLsp: ReturnType<typeof summarize>;
  try {
    await lsp.open(uri, base);
    await lsp.diagnostics(uri, 0, 60_000);
    const lines = base.split("\n");
    const row = lines.findIndex((l) => l.includes('subject: "Release pending 250"'));
    const col = lines[row]!.indexOf('250"') + 3;
    overLsp = summarize(
      "didChange → publishDiagnostics over LSP",
      await timeEach(RUNS, async (i) => {
        const since = lsp.published.length;
        const at = { line: row, character: col };
        await lsp.change(uri, { start: at, end: at }, String(i % 10));
        await lsp.diagnostics(uri, since, 60_000);
      }),
    );
  } finally {
    await lsp.stop();
  }
  printTable(
    `VS Code language server: revalidate ${lineCount} lines after an edit (target < 200 ms)`,
    [pure, overLsp],
    yamlOnly,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await benchVscode();
