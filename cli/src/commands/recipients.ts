// `latchflow recipients …`: the people bundles are assigned to (operations in @latchflow/api's recipients area).
import { readFile, writeFile } from "node:fs/promises";
import type { schemas } from "@latchflow/api";
import { isApiError } from "@latchflow/api/client";
import { Scope } from "@latchflow/api/scopes";
import { z } from "zod";
import { contract, defineCommand, shape } from "./command.js";
import { usageError } from "./exit-codes.js";
import { pageOrAll } from "./resolve.js";

export const add = defineCommand({
  path: ["recipients", "add"],
  summary: "Add a recipient (they sign in to the portal with a code emailed to them)",
  usage: "latchflow recipients add EMAIL [--name NAME] [--disabled]",
  examples: ['latchflow recipients add alice@example.com --name "Alice Doe"'],
  access: Scope.RecipientsWrite,
  args: [{ name: "EMAIL", required: true }],
  options: {
    name: { type: "string", value: "NAME", description: "their name, as shown in mails and lists" },
    disabled: { type: "boolean", description: "add them disabled (no sign-in, no downloads)" },
  },
  output: { description: "Recipient", schema: shape((c) => c.schemas.Recipient) },
  async run(ctx) {
    const api = await ctx.api();
    const r = await api.createRecipient({
      body: {
        email: ctx.args[0]!,
        ...(ctx.options.name ? { name: ctx.options.name } : {}),
        ...(ctx.options.disabled ? { enabled: false } : {}),
      },
    });
    ctx.out.result(r, () => ctx.out.line(`Added ${r.email} (${r.id})`));
    return undefined;
  },
});

export const list = defineCommand({
  path: ["recipients", "list"],
  summary: "List recipients, newest first",
  usage: "latchflow recipients list [--search TEXT] [--limit N] [--all]",
  examples: ["latchflow recipients list --search example.com"],
  access: Scope.RecipientsRead,
  options: {
    search: { type: "string", value: "TEXT", description: "emails or names containing TEXT" },
    limit: { type: "string", value: "N", description: "at most N (1–200, default 50)" },
    all: { type: "boolean", description: "every recipient, following pages" },
    cursor: { type: "string", value: "CURSOR", description: "continue from a previous page's nextCursor" },
  },
  output: {
    description: "{ items: Recipient[], nextCursor: string | null }",
    schema: shape((c) => c.page(c.schemas.Recipient)),
  },
  async run(ctx) {
    const api = await ctx.api();
    const q = ctx.options.search ? { q: ctx.options.search } : {};
    const result = await pageOrAll(ctx.options, (query) => api.listRecipients({ query: { ...q, ...query } }));
    ctx.out.result(result, () => {
      ctx.out.table(result.items, [
        { header: "ID", value: (r) => r.id },
        { header: "EMAIL", value: (r) => r.email },
        { header: "NAME", value: (r) => r.name },
        { header: "ENABLED", value: (r) => (r.enabled ? "yes" : "no") },
        { header: "CREATED", value: (r) => r.createdAt },
      ]);
      if (result.nextCursor)
        ctx.out.note(`more: latchflow recipients list --cursor ${result.nextCursor} (or --all)`);
    });
    return undefined;
  },
});

export const importCommand = defineCommand({
  path: ["recipients", "import"],
  summary:
    "Create or update recipients by email from a CSV (email,name,enabled header) or JSON file; all or nothing",
  usage: "latchflow recipients import FILE.csv|FILE.json",
  examples: ["latchflow recipients import people.csv"],
  access: Scope.RecipientsWrite,
  args: [{ name: "FILE", required: true, complete: "file" }],
  output: {
    description: "{ created: number, updated: number, unchanged: number }",
    schema: shape((c) => c.schemas.RecipientImportResult),
  },
  async run(ctx) {
    const path = ctx.args[0]!;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      throw usageError(`cannot read ${path}`, ctx.commandLine);
    }
    const json = path.toLowerCase().endsWith(".json") || text.trimStart().startsWith("[");
    const api = await ctx.api();
    const counts = await api
      .importRecipients({ body: text, contentType: json ? "application/json" : "text/csv" })
      .catch(async (err: unknown) => {
        // nothing was written: say every problem with its line (--json: they are in the error's details)
        for (const p of await importProblems(err)) {
          ctx.out.note(`${path}:${p.line}: ${p.field}: ${p.message}`);
        }
        throw err;
      });
    ctx.out.result(counts, () =>
      ctx.out.line(`Created ${counts.created}, updated ${counts.updated}, unchanged ${counts.unchanged}`),
    );
    return undefined;
  },
});

/** The file's problems from a refused import (`details.errors`), or none when the error is of another kind. */
async function importProblems(err: unknown): Promise<schemas.RecipientImportError[]> {
  if (!isApiError(err)) return [];
  const { schemas } = await contract();
  const parsed = z.array(schemas.RecipientImportError).safeParse(err.details.errors);
  return parsed.success ? parsed.data : [];
}

export const exportCommand = defineCommand({
  path: ["recipients", "export"],
  summary: "Write every recipient as CSV (default) or JSON, to a file or stdout",
  usage: "latchflow recipients export [--format csv|json] [-o FILE]",
  examples: ["latchflow recipients export -o people.csv", "latchflow recipients export --json"],
  access: Scope.RecipientsRead,
  options: {
    format: {
      type: "string",
      value: "FORMAT",
      description: "csv (default) or json",
      choices: ["csv", "json"],
    },
    output: { type: "string", short: "o", value: "FILE", description: "write here instead of stdout" },
  },
  output: {
    description: "{ email, name, enabled }[] (same as --format json)",
    schema: shape((c) => c.z.array(c.schemas.RecipientExportRow)),
  },
  async run(ctx) {
    const format = ctx.global.json ? "json" : (ctx.options.format ?? "csv");
    if (format !== "csv" && format !== "json")
      throw usageError(`--format is csv or json (got "${format}")`, ctx.commandLine);
    const api = await ctx.api();
    const answer = await api.exportRecipients({ query: { format } });
    const text = Array.isArray(answer) ? `${JSON.stringify(answer, null, 2)}\n` : await answer.text();
    if (ctx.options.output) {
      await writeFile(ctx.options.output, text);
      ctx.out.note(`Wrote ${ctx.options.output}`);
    } else ctx.out.line(text.trimEnd());
    return undefined;
  },
});

export const commands = [add, list, importCommand, exportCommand];
