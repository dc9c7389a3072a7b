import type { Client } from "@latchflow/api";
import { describe, expect, it } from "vitest";
import { CliError, ExitCode } from "./exit-codes.js";
import type { CheckedFile } from "./pipeline-files.js";
import { checkUnchanged, computePlan } from "./pipeline-plan.js";

interface Stored {
  version: number;
  enabled: boolean;
  source: string;
}

/** A client answering listPipelines and getPipeline (YAML) from a map the test changes between calls. */
function fakeApi(server: Map<string, Stored>): Client {
  const api = {
    async listPipelines() {
      return {
        items: [...server].map(([name, p]) => ({
          name,
          description: "",
          enabled: p.enabled,
          version: p.version,
          createdAt: "2026-01-01T00:00:00.000Z",
          updatedAt: "2026-01-01T00:00:00.000Z",
        })),
      };
    },
    async getPipeline({ params }: { params: { name: string } }) {
      const p = server.get(params.name);
      if (!p) throw new Error("not found");
      return new Response(p.source, { headers: { "content-type": "application/yaml" } });
    },
  };
  return api as unknown as Client;
}

const file = (name: string, text: string, enabled?: boolean): CheckedFile => ({
  file: `${name}.yaml`,
  text,
  name,
  enabled,
  ok: true,
  diagnostics: [],
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
    const server = new Map<string, Stored>([["one", { version: 1, enabled: true, source: "a: 1\n" }]]);
    const api = fakeApi(server);
    const plan = await computePlan(api, [file("one", "a: 2\n"), file("two", "b: 1\n")], false);
    await checkUnchanged(api, plan, "latchflow pipelines apply");

    server.set("one", { version: 2, enabled: true, source: "a: 3\n" });
    expect(await refusal(checkUnchanged(api, plan, "latchflow pipelines apply"))).toBe(
      "pipeline one changed on the server since the plan (version 1 → version 2); nothing was applied",
    );
    server.set("one", { version: 1, enabled: false, source: "a: 1\n" });
    expect(await refusal(checkUnchanged(api, plan, "latchflow pipelines apply"))).toContain(
      "version 1, disabled",
    );
    server.set("one", { version: 1, enabled: true, source: "a: 1\n" });
    server.set("two", { version: 1, enabled: true, source: "b: 0\n" });
    expect(await refusal(checkUnchanged(api, plan, "latchflow pipelines apply"))).toContain(
      "pipeline two changed on the server since the plan (absent → version 1)",
    );
  });
});
