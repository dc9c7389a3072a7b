// Node-side helpers for the kernel and tests: builds the built-in plugins with the SDK. Never bundled.
import { fileURLToPath } from "node:url";
import { buildPlugin } from "@latchflow/plugin-sdk/node";
import type { PluginSource } from "@latchflow/sandbox";

/** One built-in plugin's entry file (it calls `definePlugin`); `name` is the plugin's package name. */
export interface BuiltinEntry {
  name: string;
  file: string;
}

const entry = (name: string, base: string): BuiltinEntry => ({
  name,
  file: fileURLToPath(new URL(`./plugins/${base}.ts`, import.meta.url)),
});

/** The nine built-in plugins, triggers first, in the order of `builtinManifests`. */
export const builtinEntries: readonly BuiltinEntry[] = Object.freeze([
  entry("latchflow-cron", "cron"),
  entry("latchflow-schedule", "schedule"),
  entry("latchflow-webhook", "webhook"),
  entry("latchflow-manual", "manual"),
  entry("latchflow-deadman", "deadman"),
  entry("latchflow-email", "email"),
  entry("latchflow-publish", "publish"),
  entry("latchflow-grant", "grant"),
  entry("latchflow-http", "http"),
]);

let sources: Promise<PluginSource[]> | undefined;

/**
 * Every built-in plugin bundled for the sandbox (`{ name, code }`), built once per process: later calls
 * return the same promise (a failed build is not cached, so a later call tries again).
 */
export function builtinPluginSources(): Promise<PluginSource[]> {
  sources ??= Promise.all(
    builtinEntries.map(async ({ name, file }) => ({ name, code: (await buildPlugin({ entry: file })).code })),
  ).catch((err: unknown) => {
    sources = undefined;
    throw err;
  });
  return sources;
}
