import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { expect, it } from "vitest";

// Apps import the client from `@latchflow/api/client`: at run time it needs the generated route table only, so
// a browser bundle carries no zod and no schema (the types still come from them).
it("bundles the client for a browser without zod or any schema, in a few KB", async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("../src/client.ts", import.meta.url))],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((i) => i.includes("zod"))).toEqual([]);
  expect(inputs.filter((i) => i.includes("/operations/"))).toEqual([]);
  const size = result.outputFiles[0]?.contents.byteLength ?? 0;
  expect(size).toBeLessThan(16_000);
});
