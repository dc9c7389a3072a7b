// Writes what is generated from the contract's operations: the OpenAPI document (api/openapi.json) and the typed
// client's route table (api/src/routes.gen.ts).
//   tsx api/scripts/openapi.ts          regenerate both
//   tsx api/scripts/openapi.ts --check  compare with the committed files; exit 1 naming what differs
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildOpenApi, openApiJson } from "../src/openapi.js";
import { operations } from "../src/operations/index.js";
import { routeTableSource } from "../src/route-table.js";

const file = fileURLToPath(new URL("../openapi.json", import.meta.url));
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};
const fresh = openApiJson(buildOpenApi(Object.values(operations), { version: pkg.version }));

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

type Doc = { paths?: Record<string, Record<string, { operationId?: string }>>; components?: unknown };

/** operationId → its JSON, to name the operations that were added, removed or changed. */
function operationsOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let doc: Doc;
  try {
    doc = JSON.parse(text) as Doc;
  } catch {
    return out;
  }
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      out.set(op.operationId ?? `${method} ${path}`, JSON.stringify(op));
    }
  }
  return out;
}

/** What differs, briefly: operations added/removed/changed and the first differing line. */
function hint(committed: string, generated: string): string[] {
  const before = operationsOf(committed);
  const after = operationsOf(generated);
  const lines: string[] = [];
  for (const [id, json] of after) {
    if (!before.has(id)) lines.push(`added:   ${id}`);
    else if (before.get(id) !== json) lines.push(`changed: ${id}`);
  }
  for (const id of before.keys()) if (!after.has(id)) lines.push(`removed: ${id}`);
  const a = committed.split("\n");
  const b = generated.split("\n");
  const at = a.findIndex((line, i) => line !== b[i]);
  const first = at < 0 ? Math.min(a.length, b.length) : at;
  lines.push(
    `first difference at line ${first + 1}:`,
    `  committed: ${(a[first] ?? "<end of file>").trim().slice(0, 120)}`,
    `  generated: ${(b[first] ?? "<end of file>").trim().slice(0, 120)}`,
  );
  return lines;
}

const routesFile = fileURLToPath(new URL("../src/routes.gen.ts", import.meta.url));
const freshRoutes = routeTableSource(Object.values(operations));
if (read(routesFile) !== freshRoutes) {
  if (process.argv.includes("--check")) {
    console.error("openapi: api/src/routes.gen.ts is out of date with the contract; run `pnpm openapi:gen`");
    process.exitCode = 1;
  } else {
    writeFileSync(routesFile, freshRoutes);
    console.log("openapi: wrote api/src/routes.gen.ts");
  }
}

const committed = read(file);
if (process.argv.includes("--check")) {
  if (committed === fresh) {
    console.log(`openapi: api/openapi.json is up to date (${operationsOf(fresh).size} operations)`);
  } else {
    const why = committed === undefined ? ["api/openapi.json is missing"] : hint(committed, fresh);
    console.error(
      `openapi: api/openapi.json is out of date with the contract; run \`pnpm openapi:gen\` and commit it\n  ${why.join("\n  ")}`,
    );
    process.exitCode = 1;
  }
} else {
  if (committed !== fresh) writeFileSync(file, fresh);
  console.log(`openapi: wrote api/openapi.json (${operationsOf(fresh).size} operations)`);
}
