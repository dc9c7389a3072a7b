import { parseArgs } from "node:util";
import type { Json } from "@latchflow/sandbox";
import { createTestHost, runPlugin } from "../test-harness.js";
import { type Command, out, UsageError } from "./command.js";

export const testCommand: Command = {
  name: "test",
  usage: `test   --file dist/plugin.js --capability <key>@<major> [--input '<json>'] [--secret name=value]... [--deadline ms]
         run one capability in the sandbox with an in-memory host (kv, secrets, log, emit, mail)`,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        file: { type: "string", default: "dist/plugin.js" },
        capability: { type: "string" },
        input: { type: "string", default: "null" },
        secret: { type: "string", multiple: true, default: [] },
        deadline: { type: "string", default: "10000" },
      },
    });
    if (!values.capability) throw new UsageError("test needs --capability <key>@<major>");
    let input: Json;
    try {
      input = JSON.parse(values.input) as Json;
    } catch {
      throw new UsageError("--input is not valid JSON");
    }
    const secrets: Record<string, string> = {};
    for (const pair of values.secret) {
      const at = pair.indexOf("=");
      if (at <= 0) throw new UsageError(`--secret expects name=value, got "${pair}"`);
      secrets[pair.slice(0, at)] = pair.slice(at + 1);
    }
    const deadlineMs = Number(values.deadline);
    if (!Number.isFinite(deadlineMs) || deadlineMs <= 0)
      throw new UsageError("--deadline must be milliseconds");
    const record = createTestHost({ secrets });
    const output = await runPlugin({
      file: values.file,
      capability: values.capability,
      input,
      host: record.host,
      deadlineMs,
    });
    const report = {
      output,
      logs: record.logs,
      emits: record.emits,
      mails: record.mails,
      kv: Object.fromEntries(record.kv),
    };
    out(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  },
};
