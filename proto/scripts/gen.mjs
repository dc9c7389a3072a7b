#!/usr/bin/env node
// Regenerates the TypeScript in src/gen from the .proto files (buf + ts-proto, offline).
//   node scripts/gen.mjs          lint, generate into a temp dir, then replace src/gen
//   node scripts/gen.mjs --check  lint, generate into a temp dir, compare byte for byte with src/gen;
//                                 exit 1 naming every stale, missing or extra file
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const genDir = join(root, "src", "gen");
const buf = join(root, "node_modules", ".bin", process.platform === "win32" ? "buf.cmd" : "buf");
const check = process.argv.includes("--check");

function run(args) {
  const r = spawnSync(buf, args, { cwd: root, stdio: "inherit" });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`proto: buf ${args[0]} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

/** Relative paths of every file under dir, sorted. */
function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort();
}

const tmp = mkdtempSync(join(tmpdir(), "latchflow-proto-"));
try {
  run(["lint"]);
  run(["generate", "--template", "buf.gen.yaml", "--output", tmp]);
  const fresh = join(tmp, "src", "gen");

  if (check) {
    const want = listFiles(fresh);
    const have = new Set(listFiles(genDir));
    const problems = [];
    for (const f of want) {
      if (!have.has(f)) problems.push(`missing: src/gen/${f}`);
      else if (!readFileSync(join(fresh, f)).equals(readFileSync(join(genDir, f)))) {
        problems.push(`stale:   src/gen/${f}`);
      }
      have.delete(f);
    }
    for (const f of have) problems.push(`extra:   src/gen/${f}`);
    if (problems.length > 0) {
      console.error(
        `proto: generated code is out of date; run \`pnpm proto:gen\`\n  ${problems.join("\n  ")}`,
      );
      process.exitCode = 1;
    } else {
      console.log(`proto: src/gen is up to date (${want.length} files)`);
    }
  } else {
    rmSync(genDir, { recursive: true, force: true });
    cpSync(fresh, genDir, { recursive: true });
    console.log(`proto: generated ${listFiles(genDir).length} files into src/gen`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
