import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, http } from "./http.js";
import { MODES, OWNER_TOKEN, type Stack, startStack } from "./stack.js";

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
  beforeAll(async () => {
    s = await startStack(dialect, bus, "pipelines");
    await s.api("POST", "/api/v1/bundles", { json: { name: "family-archive" } });
    await s.api("POST", "/api/v1/recipients", { json: { email: "alice@example.com" } });
  });
  afterAll(async () => {
    await s?.stop();
  });

  const put = (name: string, yaml: string) =>
    http(s.base, "PUT", `/api/v1/pipelines/${name}`, {
      token: OWNER_TOKEN,
      body: yaml,
      headers: { "content-type": "application/yaml" },
    });

  it("stores the YAML as written, with a version history", async () => {
    const first = await put("family-legacy", EXAMPLE);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ name: "family-legacy", version: 1, enabled: true });
    const source = await fetch(`${s.base}/api/v1/pipelines/family-legacy`, {
      headers: { authorization: `Bearer ${OWNER_TOKEN}` },
    });
    expect(source.headers.get("content-type")).toContain("application/yaml");
    expect(await source.text()).toBe(EXAMPLE);
    const second = await put("family-legacy", EXAMPLE.replace("maxDownloads: 3", "maxDownloads: 4"));
    expect((second.body as { version: number }).version).toBe(2);
    const versions = (await s.api("GET", "/api/v1/pipelines/family-legacy/versions")).body as {
      items: { version: number }[];
    };
    expect(versions.items.map((v) => v.version)).toEqual([2, 1]);
    const parsed = (await s.api("GET", "/api/v1/pipelines/family-legacy?format=json")).body as {
      document: { spec: { steps: { with: { maxDownloads: number } }[] } };
    };
    expect(parsed.document.spec.steps[1]!.with.maxDownloads).toBe(4);
    expect(
      (
        (await s.api("PATCH", "/api/v1/pipelines/family-legacy", { json: { enabled: false } })).body as {
          enabled: boolean;
        }
      ).enabled,
    ).toBe(false);
    expect(
      ((await s.api("GET", "/api/v1/pipelines")).body as { items: { name: string }[] }).items.map(
        (p) => p.name,
      ),
    ).toEqual(["family-legacy"]);
  });

  it("answers invalid documents with 422 and a line and column per error", async () => {
    const broken = await put(
      "broken",
      "apiVersion: latchflow.dev/v1\nkind: Pipeline\nmetadata:\n\tname: broken\n",
    );
    expectError(broken, 422, "validation_failed");
    const diagnostics = (
      broken.body as { error: { details: { diagnostics: { code: string; line: number; column: number }[] } } }
    ).error.details.diagnostics;
    expect(diagnostics[0]).toMatchObject({ code: "yaml_syntax", line: 4, column: 1 });

    const typo = await put(
      "family-legacy",
      EXAMPLE.replace("uses: email@1", "uses: emial@1").replace("bundle: family-archive", "bundle: nope"),
    );
    expectError(typo, 422, "validation_failed");
    const found = (
      typo.body as {
        error: { details: { diagnostics: { code: string; line: number; suggestion?: string }[] } };
      }
    ).error.details.diagnostics;
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: "unknown_capability", line: 14, suggestion: "email@1" }),
        expect.objectContaining({ code: "unknown_bundle", line: 19 }),
      ]),
    );
    expect((await s.api("GET", "/api/v1/pipelines/family-legacy")).text.includes("emial")).toBe(false);
    expectError(await put("other-name", EXAMPLE), 422, "validation_failed");
  });

  it("validates without storing, and serves the JSON Schema with the capabilities", async () => {
    const res = await http(s.base, "POST", "/api/v1/pipelines/validate", {
      token: OWNER_TOKEN,
      body: EXAMPLE.replace("family-legacy", "not-stored").replace("timeout: 1m", "timeout: 5 parsecs"),
      headers: { "content-type": "application/yaml" },
    });
    expect(res.body).toMatchObject({
      ok: false,
      diagnostics: [expect.objectContaining({ code: "bad_duration", line: 21 })],
    });
    expectError(await s.api("GET", "/api/v1/pipelines/not-stored"), 404, "not_found");
    const schema = (await http(s.base, "GET", "/api/v1/schemas/pipeline.json")).text;
    expect(schema).toContain("latchflow.dev");
    expect(schema).toContain("email@1");
    expect((await s.api("DELETE", "/api/v1/pipelines/family-legacy")).status).toBe(200);
    expectError(await s.api("GET", "/api/v1/pipelines/family-legacy"), 404, "not_found");
  });
});
