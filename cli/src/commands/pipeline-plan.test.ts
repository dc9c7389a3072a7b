// The comparison itself is tested with @latchflow/api/pipeline-plan (api/test/pipeline-plan.test.ts); here, how
// the CLI turns a server that changed since the plan into its conflict exit.
import type { Client } from "@latchflow/api";
import { describe, expect, it } from "vitest";
import { CliError, ExitCode } from "./exit-codes.js";
import { checkUnchanged, type Plan } from "./pipeline-plan.js";

/** A client whose pipeline list the test changes between calls. */
function listing(server: Map<string, { version: number; enabled: boolean }>): Client {
  return {
    listPipelines: async () => ({
      items: [...server].map(([name, p]) => ({ name, description: "", ...p, createdAt: "", updatedAt: "" })),
    }),
  } as unknown as Client;
}

const change = (name: string, server: { version: number; enabled: boolean } | null) => ({
  name,
  action: server ? ("update" as const) : ("create" as const),
  file: `${name}.yaml`,
  server,
  sourceChanged: true,
  enabled: null,
  diff: "",
});

describe("checkUnchanged", () => {
  const refusal = async (p: Promise<void>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(ExitCode.Conflict);
    return (err as CliError).message;
  };

  it("refuses with exit 5 when a planned pipeline changed version, enabled state or existence", async () => {
    const server = new Map([["one", { version: 1, enabled: true }]]);
    const api = listing(server);
    const plan: Plan = {
      changes: [change("one", { version: 1, enabled: true }), change("two", null)],
      unchanged: [],
      untracked: [],
      summary: { create: 1, update: 1, delete: 0 },
    };
    await checkUnchanged(api, plan, "latchflow pipelines apply");

    server.set("one", { version: 2, enabled: true });
    expect(await refusal(checkUnchanged(api, plan, "latchflow pipelines apply"))).toBe(
      "pipeline one changed on the server since the plan (version 1 → version 2); nothing was applied",
    );
    server.set("one", { version: 1, enabled: false });
    expect(await refusal(checkUnchanged(api, plan, "latchflow pipelines apply"))).toContain(
      "version 1, disabled",
    );
    server.set("one", { version: 1, enabled: true });
    server.set("two", { version: 1, enabled: true });
    expect(await refusal(checkUnchanged(api, plan, "latchflow pipelines apply"))).toContain(
      "pipeline two changed on the server since the plan (absent → version 1)",
    );
  });
});
