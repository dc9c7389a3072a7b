import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import {
  type HostCapabilities,
  IsolatedVmRuntime,
  type Json,
  type JsonObject,
  type LogLevel,
  type MailMessage,
  type SandboxLimits,
} from "@latchflow/sandbox";

export interface RunPluginOptions {
  /** The bundle's source (from `buildPlugin`), or… */
  code?: string;
  /** …the path of a built bundle. */
  file?: string;
  /** `<key>@<major>`, as in `globalThis.plugin.capabilities`. */
  capability: string;
  input?: Json;
  /** Host capabilities granted to the invocation; absent ones fail `capability_denied` when called. */
  host?: Partial<HostCapabilities>;
  limits?: Partial<SandboxLimits>;
  /** Wall-clock deadline of the invocation (default 10 s). */
  deadlineMs?: number;
  /** Plugin name used in the sandbox's file name and errors (default: the file name or "plugin"). */
  name?: string;
}

/**
 * Runs one capability of a built plugin in the same `IsolatedVmRuntime` the server uses, with a fresh
 * isolate that is disposed afterwards. Resolves with the JSON output or rejects with the sandbox's
 * `SandboxError` (`code`: `plugin_error`, `sandbox_timeout`, `capability_denied`, …).
 * The node process needs `--no-node-snapshot` (isolated-vm on Node 20).
 */
export async function runPlugin(options: RunPluginOptions): Promise<Json> {
  const code =
    options.code ?? (options.file !== undefined ? await readFile(options.file, "utf8") : undefined);
  if (code === undefined) throw new TypeError("runPlugin needs code or file");
  const name = options.name ?? (options.file !== undefined ? basename(options.file, ".js") : "plugin");
  const runtime = new IsolatedVmRuntime();
  const plugin = await runtime.load({ name, code, ...(options.limits ? { limits: options.limits } : {}) });
  try {
    return await plugin.invoke(options.capability, options.input ?? null, options.host ?? {}, {
      deadlineMs: options.deadlineMs ?? 10_000,
    });
  } finally {
    plugin.dispose();
  }
}

export interface TestHostRecord {
  /** Every host capability granted, backed by memory. */
  host: HostCapabilities;
  kv: Map<string, Json>;
  secrets: Map<string, string>;
  logs: { level: LogLevel; message: string; fields: JsonObject }[];
  emits: Json[];
  mails: MailMessage[];
}

/**
 * An in-memory host for local tests: kv, secrets, log, emit and mail.send recorded; `fetch`,
 * `bundles.grant` and `links.publish` are only granted when passed in `overrides`.
 */
export function createTestHost(
  options: { secrets?: Record<string, string>; overrides?: Partial<HostCapabilities> } = {},
): TestHostRecord {
  const record: TestHostRecord = {
    host: {},
    kv: new Map(),
    secrets: new Map(Object.entries(options.secrets ?? {})),
    logs: [],
    emits: [],
    mails: [],
  };
  let messages = 0;
  record.host = {
    kv: {
      get: async (key) => record.kv.get(key) ?? null,
      set: async (key, value) => {
        record.kv.set(key, value);
      },
      delete: async (key) => {
        record.kv.delete(key);
      },
    },
    secrets: { get: async (name) => record.secrets.get(name) ?? null },
    log: (level, message, fields) => {
      record.logs.push({ level, message, fields });
    },
    emit: (event) => {
      record.emits.push(event);
    },
    mail: {
      send: async (message) => {
        record.mails.push(message);
        return { messageId: `test-${++messages}` };
      },
    },
    ...options.overrides,
  };
  return record;
}
