// Bundles the extension (dist/extension.cjs, run in the editor's extension host; `vscode` is provided there)
// and the language server (dist/server.cjs, a separate Node process) with esbuild: no network, no
// node_modules needed at run time. `node scripts/build.mjs` (or `pnpm --filter @latchflow/vscode build`).

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export async function buildExtension({ minify = true } = {}) {
  const common = {
    absWorkingDir: ROOT,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    minify,
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
  };
  const [client, server] = await Promise.all([
    build({
      ...common,
      entryPoints: ["src/client/extension.ts"],
      outfile: "dist/extension.cjs",
      external: ["vscode"],
    }),
    build({ ...common, entryPoints: ["src/server/main.ts"], outfile: "dist/server.cjs" }),
  ]);
  const size = (r) => Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { extension: size(client), server: size(server) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sizes = await buildExtension();
  process.stdout.write(
    `dist/extension.cjs ${(sizes.extension / 1024).toFixed(0)} KB, dist/server.cjs ${(sizes.server / 1024).toFixed(0)} KB\n`,
  );
}
