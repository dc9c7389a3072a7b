import { describe, expect, it } from "vitest";
import type { Client } from "../src/client.js";
import {
  applyChange,
  capabilityCatalogs,
  changedSincePlan,
  comparePipelines,
  computePlan,
  diffStats,
  type PlanInput,
} from "../src/pipeline-plan.js";

interface Stored {
  version: number;
  enabled: boolean;
  source: string;
}

/** A client answering from a map the test changes between calls; writes are recorded and stored. */
function fakeApi(server: Map<string, Stored>, calls: string[] = []): Client {
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
    async putPipeline({ params, body }: { params: { name: string }; body: string }) {
      calls.push(`put ${params.name}`);
      const p = server.get(params.name);
      const next = { version: (p?.version ?? 0) + 1, enabled: p?.enabled ?? true, source: body };
      server.set(params.name, next);
      return next;
    },
    async setPipelineEnabled({ params, body }: { params: { name: string }; body: { enabled: boolean } }) {
      calls.push(`enabled ${params.name} ${body.enabled}`);
      const p = server.get(params.name)!;
      p.enabled = body.enabled;
      return p;
    },
    async deletePipeline({ params }: { params: { name: string } }) {
      calls.push(`delete ${params.name}`);
      server.delete(params.name);
      return {};
    },
  };
  return api as unknown as Client;
}

const file = (name: string, text: string, enabled?: boolean): PlanInput => ({
  file: `${name}.yaml`,
  text,
  name,
  enabled,
});

describe("computePlan", () => {
  it("compares source byte for byte and a stated spec.enabled; deletes only with prune", async () => {
    const server = new Map<string, Stored>([
      ["same", { version: 3, enabled: true, source: "a: 1\n" }],
      ["edited", { version: 2, enabled: true, source: "a: 1\n" }],
      ["off", { version: 1, enabled: false, source: "b: 1\n" }],
      ["extra", { version: 5, enabled: true, source: "c: 1\n" }],
    ]);
    const files = [
      file("same", "a: 1\n"),
      file("edited", "a: 1 \n"), // a trailing space is a change: the server stores the text as written
      file("off", "b: 1\n", true),
      file("new", "d: 1\n"),
      { file: "nameless.yaml", name: null, text: "x: 1\n" },
    ];
    const plan = await computePlan(fakeApi(server), files, false);
    expect(plan.changes.map((c) => [c.name, c.action, c.sourceChanged, c.enabled])).toEqual([
      ["edited", "update", true, null],
      ["off", "update", false, { from: false, to: true }],
      ["new", "create", true, { from: null, to: true }],
    ]);
    expect(plan.unchanged).toEqual([{ name: "same", file: "same.yaml", version: 3 }]);
    expect(plan.untracked).toEqual(["extra"]);
    expect(plan.changes[0]?.diff).toBe(
      [
        "--- a/edited\tserver, version 2",
        "+++ b/edited\tedited.yaml",
        "@@ -1,1 +1,1 @@",
        "-a: 1",
        "+a: 1 ",
        "",
      ].join("\n"),
    );

    const pruned = await computePlan(fakeApi(server), files, true);
    expect(pruned.untracked).toEqual([]);
    expect(pruned.changes.at(-1)).toMatchObject({ name: "extra", action: "delete", server: { version: 5 } });
    expect(pruned.changes.at(-1)?.diff).toContain("-c: 1");
    expect(pruned.summary).toEqual({ create: 1, update: 2, delete: 1 });
  });

  it("answers the stored sources it compared against (for a diff view)", async () => {
    const server = new Map<string, Stored>([
      ["edited", { version: 2, enabled: true, source: "a: 1\n" }],
      ["extra", { version: 1, enabled: true, source: "c: 1\n" }],
    ]);
    const { stored } = await comparePipelines(
      fakeApi(server),
      [file("edited", "a: 2\n"), file("new", "n: 1\n")],
      true,
    );
    expect([...stored]).toEqual([
      ["edited", "a: 1\n"],
      ["extra", "c: 1\n"],
    ]);
  });

  it("counts the lines a diff adds and removes", async () => {
    const server = new Map<string, Stored>([
      ["p", { version: 1, enabled: true, source: "a: 1\nb: 2\nc: 3\n" }],
    ]);
    const plan = await computePlan(fakeApi(server), [file("p", "a: 1\nb: 20\nc: 3\nd: 4\n")], false);
    expect(diffStats(plan.changes[0]!.diff)).toEqual({ added: 2, removed: 1 });
    expect(diffStats("")).toEqual({ added: 0, removed: 0 });
  });
});

describe("applying", () => {
  it("stores the source, then the enabled state; deletes; refuses when the server changed since the plan", async () => {
    const calls: string[] = [];
    const server = new Map<string, Stored>([
      ["p", { version: 1, enabled: true, source: "a: 1\n" }],
      ["gone", { version: 1, enabled: true, source: "g: 1\n" }],
    ]);
    const api = fakeApi(server, calls);
    const plan = await computePlan(api, [file("p", "a: 2\n", false)], true);
    expect(await changedSincePlan(api, plan)).toBeUndefined();
    const [update, remove] = plan.changes;
    expect(await applyChange(api, update!, "a: 2\n")).toEqual({
      name: "p",
      action: "update",
      version: 2,
      enabled: false,
    });
    expect(await applyChange(api, remove!, "")).toEqual({
      name: "gone",
      action: "delete",
      version: null,
      enabled: null,
    });
    expect(calls).toEqual(["put p", "enabled p false", "delete gone"]);
    expect(await changedSincePlan(api, plan)).toEqual({
      name: "p",
      was: "version 1",
      is: "version 2, disabled",
    });
  });
});

describe("capabilityCatalogs", () => {
  it("splits enabled and disabled capabilities, keyed by uses, with a deprecated major's replacement", () => {
    const cap = (uses: string, enabled: boolean, replacedBy?: string) => ({
      uses,
      kind: "action" as const,
      plugin: "p",
      pluginVersion: "1.0.0",
      builtin: false,
      enabled,
      configSchema: { type: "object" },
      outputsSchema: {},
      docs: uses,
      ...(replacedBy ? { replacedBy } : {}),
    });
    expect(
      capabilityCatalogs([cap("p/x@2", true), cap("p/x@1", true, "p/x@2"), cap("p/y@1", false)]),
    ).toEqual({
      capabilities: {
        "p/x@2": { kind: "action", configSchema: { type: "object" }, outputsSchema: {}, docs: "p/x@2" },
        "p/x@1": {
          kind: "action",
          configSchema: { type: "object" },
          outputsSchema: {},
          docs: "p/x@1",
          replacedBy: "p/x@2",
        },
      },
      disabled: {
        "p/y@1": { kind: "action", configSchema: { type: "object" }, outputsSchema: {}, docs: "p/y@1" },
      },
    });
  });
});
