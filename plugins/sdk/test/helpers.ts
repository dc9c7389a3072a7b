import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

export const SDK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const SDK_ENTRY = join(SDK_DIR, "src", "index.ts");

/** A temp plugin dir with `src/index.ts` = source; returns the dir and a cleanup. */
export async function pluginDir(
  source: string,
  readme?: string,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "lf-plugin-"));
  await mkdir(join(dir, "src"));
  await writeFile(join(dir, "src", "index.ts"), source);
  if (readme !== undefined) await writeFile(join(dir, "README.md"), readme);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const COUNTER_PLUGIN = `
import { definePlugin, type Host } from ${JSON.stringify(SDK_ENTRY)};

export default definePlugin({
  name: "latchflow-plugin-counter",
  version: "1.2.3",
  permissions: [
    { name: "kv", reason: "remember the count" },
    { name: "log", reason: "say what happened" },
  ],
  capabilities: {
    "count@1": {
      kind: "action",
      configSchema: { type: "object", properties: { by: { type: "integer" } } },
      outputsSchema: { type: "object", properties: { count: { type: "integer" } } },
      docs: "Adds \`by\` to a counter.",
      async run(input: { config: { by: number } }, host: Host) {
        const previous = ((await host.kv.get("count")) as { n: number } | null)?.n ?? 0;
        const next = { n: previous + input.config.by, tags: ["a", "b"] };
        await host.kv.set("count", next);
        next.tags.push("mutated-after-set");
        host.log("info", "counted", { count: next.n });
        return { count: next.n };
      },
    },
  },
});
`;

/** Parses a .tgz back into name → content (ustar, regular files). */
export function untar(tgz: Buffer): Map<string, Buffer> {
  const data = gunzipSync(tgz);
  const files = new Map<string, Buffer>();
  let offset = 0;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString("latin1")
        .replace(/\0.*$/s, "");
    const name = field(0, 100);
    const size = Number.parseInt(field(124, 12), 8);
    const stored = Number.parseInt(field(148, 8), 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (sum !== stored) throw new Error(`bad checksum for ${name}`);
    if (field(257, 6) !== "ustar") throw new Error(`not ustar: ${name}`);
    files.set(name, Buffer.from(data.subarray(offset + 512, offset + 512 + size)));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
