import { type Client, schemas } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectRefusal } from "./client-helpers.js";
import { pipelineJson, pipelineSource } from "./pipelines/helpers.js";
import { MODES, type Stack, startStack } from "./stack.js";

const EXAMPLE = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata:
  name: family-legacy                 # lowercase DNS label, unique
  description: Release the family archive if I stop checking in
spec:
  enabled: true
  triggers:
    - id: switch
      uses: deadman@1
      with: { checkInEvery: 30d, grace: 7d, remind: [7d, 1d] }
  steps:
    - id: tell-guardian
      uses: email@1
      with: { to: [guardian@example.com], subject: "Release pending", text: "..." }
    - id: release
      uses: grant@1
      if: trigger.kind == "fired"
      with: { bundle: family-archive, recipients: [alice@example.com], maxDownloads: 3, cooldown: 1h, expiresIn: 30d }
      retry: { maxAttempts: 5, backoff: exponential, initialInterval: 10s, maxInterval: 10m }
      timeout: 1m
`;

describe.each(MODES)("pipelines API on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "pipelines");
    api = s.client();
    await api.createBundle({ body: { name: "family-archive" } });
    await api.createRecipient({ body: { email: "alice@example.com" } });
  });
  afterAll(async () => {
    await s?.stop();
  });

  const put = (name: string, yaml: string) =>
    api.raw.putPipeline({ params: { name }, body: yaml, contentType: "application/yaml" });
  /** The diagnostics of a refused document (error.details.diagnostics, each a Diagnostic). */
  const diagnosticsOf = (details: Record<string, unknown> | undefined) =>
    schemas.PipelineValidation.shape.diagnostics.parse(details?.diagnostics);

  it("stores the YAML as written, with a version history", async () => {
    const first = await put("family-legacy", EXAMPLE);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({
      name: "family-legacy",
      version: 1,
      enabled: true,
      triggers: [{ id: "switch", uses: "deadman@1" }],
    });
    const source = await pipelineSource(s, "family-legacy");
    expect(source.headers.get("content-type")).toContain("application/yaml");
    expect(await source.text()).toBe(EXAMPLE);
    const second = await put("family-legacy", EXAMPLE.replace("maxDownloads: 3", "maxDownloads: 4"));
    expect(second.body).toMatchObject({ version: 2 });
    const versions = await api.listPipelineVersions({ params: { name: "family-legacy" } });
    expect(versions.items.map((v) => v.version)).toEqual([2, 1]);
    const parsed = await pipelineJson(s, "family-legacy");
    expect(parsed.document).toMatchObject({
      spec: { steps: [expect.anything(), { with: { maxDownloads: 4 } }] },
    });
    const disabled = await api.setPipelineEnabled({
      params: { name: "family-legacy" },
      body: { enabled: false },
    });
    expect(disabled.enabled).toBe(false);
    expect((await api.listPipelines()).items.map((p) => [p.name, p.triggers])).toEqual([
      ["family-legacy", [{ id: "switch", uses: "deadman@1" }]],
    ]);
  });

  it("answers invalid documents with 422 and a line and column per error", async () => {
    const broken = await put(
      "broken",
      "apiVersion: latchflow.dev/v1\nkind: Pipeline\nmetadata:\n\tname: broken\n",
    );
    expectRefusal(broken, 422, "validation_failed");
    const diagnostics = diagnosticsOf(broken.body.error.details);
    expect(diagnostics[0]).toMatchObject({ code: "yaml_syntax", line: 4, column: 1 });

    const typo = await put(
      "family-legacy",
      EXAMPLE.replace("uses: email@1", "uses: emial@1").replace("bundle: family-archive", "bundle: nope"),
    );
    expectRefusal(typo, 422, "validation_failed");
    expect(diagnosticsOf(typo.body.error.details)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: "unknown_capability", line: 14, suggestion: "email@1" }),
        expect.objectContaining({ code: "unknown_bundle", line: 19 }),
      ]),
    );
    expect((await (await pipelineSource(s, "family-legacy")).text()).includes("emial")).toBe(false);
    expectRefusal(await put("other-name", EXAMPLE), 422, "validation_failed");
  });

  it("validates without storing, and serves the JSON Schema with the capabilities", async () => {
    const res = await api.validatePipeline({
      body: EXAMPLE.replace("family-legacy", "not-stored").replace("timeout: 1m", "timeout: 5 parsecs"),
      contentType: "application/yaml",
    });
    expect(res).toMatchObject({
      ok: false,
      diagnostics: [expect.objectContaining({ code: "bad_duration", line: 21 })],
    });
    const get = (name: string) => api.raw.getPipeline({ params: { name } });
    expectRefusal(await get("not-stored"), 404, "not_found");
    // public: no token needed
    const schema = JSON.stringify(await s.browser().client().getPipelineSchema());
    expect(schema).toContain("latchflow.dev");
    expect(schema).toContain("email@1");
    await api.deletePipeline({ params: { name: "family-legacy" } });
    expectRefusal(await get("family-legacy"), 404, "not_found");
  });
});
