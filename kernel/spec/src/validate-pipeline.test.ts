import { describe, expect, it } from "vitest";
import type { CapabilityCatalog, ReferenceResolver } from "./capability.js";
import type { Diagnostic } from "./diagnostic.js";
import { CAPABILITY_NAME_MESSAGE } from "./naming.js";
import { parsePipeline } from "./parse-pipeline.js";
import { validatePipeline } from "./validate-pipeline.js";

const duration = { type: "string", format: "duration" };

const catalog: CapabilityCatalog = {
  "deadman@1": {
    kind: "trigger",
    configSchema: {
      type: "object",
      required: ["checkInEvery"],
      additionalProperties: false,
      properties: { checkInEvery: duration, grace: duration, remind: { type: "array", items: duration } },
    },
    docs: "Fires when the owner stops checking in.",
  },
  "email@1": {
    kind: "action",
    configSchema: {
      type: "object",
      required: ["to", "subject"],
      additionalProperties: false,
      properties: {
        to: { type: "array", minItems: 1, items: { type: "string", format: "email" } },
        subject: { type: "string", minLength: 1 },
        text: { type: "string" },
        html: { type: "string" },
      },
    },
    outputsSchema: { type: "object", properties: { messageId: { type: "string" } } },
  },
  "grant@1": {
    kind: "action",
    configSchema: {
      type: "object",
      required: ["bundle", "recipients"],
      additionalProperties: false,
      properties: {
        bundle: { type: "string" },
        recipients: { type: "array", minItems: 1, items: { type: "string" } },
        maxDownloads: { type: "integer", minimum: 1 },
        cooldown: duration,
        expiresIn: duration,
      },
    },
  },
};

/** ARCHITECTURE §3.4, verbatim. */
const EXAMPLE = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata:
  name: family-legacy                 # lowercase DNS label, unique
  description: Release the family archive if I stop checking in
spec:
  enabled: true
  triggers:
    - id: switch
      uses: deadman@1                 # <capability>@<major>; third-party: <plugin>/<capability>@<major>
      with: { checkInEvery: 30d, grace: 7d, remind: [7d, 1d] }
  steps:
    - id: tell-guardian
      uses: email@1
      with: { to: [guardian@example.com], subject: "Release pending", text: "..." }
    - id: release
      uses: grant@1
      if: trigger.kind == "fired"     # CEL expression over trigger, steps.<id>.outputs/outcome
      with: { bundle: family-archive, recipients: [alice@example.com], maxDownloads: 3, cooldown: 1h, expiresIn: 30d }
      retry: { maxAttempts: 5, backoff: exponential, initialInterval: 10s, maxInterval: 10m }
      timeout: 1m
`;

const resolver: ReferenceResolver = {
  bundleExists: async (name) => name === "family-archive",
  recipientExists: async (who) => who === "alice@example.com",
};

/** The example with one exact fragment replaced (fails loudly if the fragment is not there). */
function edit(from: string, to: string): string {
  expect(EXAMPLE).toContain(from);
  return EXAMPLE.replace(from, to);
}

type Where = [line: number, column: number, endLine: number, endColumn: number];

function only(diagnostics: Diagnostic[], code: string): Diagnostic {
  const found = diagnostics.filter((d) => d.code === code);
  expect(found, JSON.stringify(diagnostics, null, 2)).toHaveLength(1);
  return found[0]!;
}

function at(d: Diagnostic): Where {
  return [d.range.start.line, d.range.start.column, d.range.end.line, d.range.end.column];
}

describe("validatePipeline", () => {
  it("accepts the full ARCHITECTURE §3.4 example", async () => {
    const result = await validatePipeline(EXAMPLE, { capabilities: catalog, resolver });
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.pipeline?.spec.steps[1]?.retry?.maxInterval).toBe("10m");
    expect(result.pipeline?.metadata.name).toBe("family-legacy");
  });

  it("accepts the same pipeline written as JSON", async () => {
    const json = JSON.stringify(parsePipeline(EXAMPLE).pipeline);
    const result = await validatePipeline(json, { capabilities: catalog, resolver });
    expect(result.diagnostics).toEqual([]);
  });

  it("yaml_syntax: a tab used as indentation, with its line and column", async () => {
    const result = await validatePipeline(edit("  name: family-legacy", "\tname: family-legacy"), {
      capabilities: catalog,
    });
    expect(result.ok).toBe(false);
    expect(result.pipeline).toBeUndefined();
    const d = result.diagnostics.find((x) => x.code === "yaml_syntax")!;
    expect(d.message).toMatch(/tab/i);
    expect(at(d).slice(0, 2)).toEqual([4, 1]);
  });

  it("yaml_syntax: a duplicate key", async () => {
    const result = await validatePipeline(edit("kind: Pipeline\n", "kind: Pipeline\nkind: Pipeline\n"), {
      capabilities: catalog,
    });
    const d = result.diagnostics.find((x) => x.code === "yaml_syntax")!;
    expect(d.message).toMatch(/unique/i);
    expect(at(d).slice(0, 2)).toEqual([3, 1]);
  });

  it("schema: unknown top-level field, on its key", async () => {
    const result = await validatePipeline(edit("kind: Pipeline\n", "kind: Pipeline\nowner: me\n"), {
      capabilities: catalog,
    });
    const d = only(result.diagnostics, "schema");
    expect(d.message).toContain("unknown field 'owner'");
    expect(d.path).toBe("/owner");
    expect(at(d)).toEqual([3, 1, 3, 6]);
    expect(result.pipeline).toBeUndefined();
  });

  it("schema: misspelled field gets a suggestion", async () => {
    const result = await validatePipeline(edit("      timeout: 1m", "      timeuot: 1m"), {
      capabilities: catalog,
    });
    const d = only(result.diagnostics, "schema");
    expect(d.suggestion).toBe("timeout");
    expect(at(d)).toEqual([21, 7, 21, 14]);
  });

  it("schema: metadata.name must be a DNS label", async () => {
    const result = await validatePipeline(edit("name: family-legacy", "name: Family_Legacy"), {
      capabilities: catalog,
    });
    const d = only(result.diagnostics, "schema");
    expect(d.message).toContain("lowercase DNS label");
    expect(at(d)).toEqual([4, 9, 4, 22]);
  });

  it.each([
    ["Email@1", "uppercase"],
    ["latchflow-plugin-x/x/upper@1", "more than one slash"],
    ["email", "@<major> is missing"],
    [`acme/${"n".repeat(65)}@1`, "longer than 64"],
  ])("schema: uses %j breaks the capability naming rule (%s), with the rule's message", async (uses, why) => {
    const result = await validatePipeline(edit("uses: email@1", `uses: ${uses}`), { capabilities: catalog });
    const d = only(result.diagnostics, "schema");
    expect(d.path).toBe("/spec/steps/0/uses");
    expect(d.message).toContain(why);
    expect(d.message).toContain(CAPABILITY_NAME_MESSAGE);
  });

  it("unknown_capability: a typo gets the closest capability", async () => {
    const result = await validatePipeline(edit("uses: email@1", "uses: emial@1"), { capabilities: catalog });
    const d = only(result.diagnostics, "unknown_capability");
    expect(d.suggestion).toBe("email@1");
    expect(d.message).toContain("did you mean 'email@1'");
    expect(d.path).toBe("/spec/steps/0/uses");
    expect(at(d)).toEqual([14, 13, 14, 20]);
    expect(result.ok).toBe(false);
    expect(result.pipeline).toBeDefined();
  });

  it("capability_disabled: an installed but disabled capability is named so, and its with: is still checked", async () => {
    const { "email@1": email, ...rest } = catalog;
    const result = await validatePipeline(edit('subject: "Release pending"', 'subjet: "Release pending"'), {
      capabilities: rest,
      disabled: { "email@1": email! },
    });
    const d = only(result.diagnostics, "capability_disabled");
    expect(d.message).toContain("'email@1' is installed but disabled");
    expect(d.path).toBe("/spec/steps/0/uses");
    expect(result.diagnostics.map((x) => x.code)).toContain("config_schema");
    expect(result.diagnostics.map((x) => x.code)).not.toContain("unknown_capability");
    expect(result.ok).toBe(false);
  });

  it("unknown_capability: a wrong major suggests the latest installed major", async () => {
    const two = { ...catalog, "email@2": catalog["email@1"]! };
    const result = await validatePipeline(edit("uses: email@1", "uses: email@3"), { capabilities: two });
    const d = only(result.diagnostics, "unknown_capability");
    expect(d.suggestion).toBe("email@2");
    expect(d.message).toContain("installed majors of 'email': 1, 2");
    expect(at(d)).toEqual([14, 13, 14, 20]);
  });

  it("wrong_capability_kind: a trigger used as a step", async () => {
    const result = await validatePipeline(edit("uses: email@1", "uses: deadman@1"), {
      capabilities: catalog,
    });
    const d = only(result.diagnostics, "wrong_capability_kind");
    expect(d.message).toContain("'deadman@1' is a trigger");
    expect(at(d)).toEqual([14, 13, 14, 22]);
  });

  it("config_schema: unknown property of a capability config, on its key, with suggestion", async () => {
    const result = await validatePipeline(edit('subject: "Release pending"', 'subjet: "Release pending"'), {
      capabilities: catalog,
    });
    const unknown = result.diagnostics.filter((d) => d.code === "config_schema");
    expect(unknown.map((d) => d.path).sort()).toEqual(["/spec/steps/0/with", "/spec/steps/0/with/subjet"]);
    const d = unknown.find((x) => x.path.endsWith("subjet"))!;
    expect(d.suggestion).toBe("subject");
    expect(at(d)).toEqual([15, 43, 15, 49]);
  });

  it("config_schema: wrong type inside with", async () => {
    const result = await validatePipeline(edit("maxDownloads: 3", "maxDownloads: lots"), {
      capabilities: catalog,
    });
    const d = only(result.diagnostics, "config_schema");
    expect(d.path).toBe("/spec/steps/1/with/maxDownloads");
    expect(at(d)).toEqual([19, 86, 19, 90]);
  });

  it("bad_duration: step timeout", async () => {
    const result = await validatePipeline(edit("timeout: 1m", "timeout: 5 parsecs"), {
      capabilities: catalog,
    });
    const d = only(result.diagnostics, "bad_duration");
    expect(d.message).toContain('"5 parsecs" is not a duration');
    expect(d.path).toBe("/spec/steps/1/timeout");
    expect(at(d)).toEqual([21, 16, 21, 25]);
  });

  it("bad_duration: retry interval", async () => {
    const result = await validatePipeline(edit("initialInterval: 10s", "initialInterval: P1Y"), {
      capabilities: catalog,
    });
    const d = only(result.diagnostics, "bad_duration");
    expect(d.message).toContain("years and months");
    expect(at(d)).toEqual([20, 71, 20, 74]);
  });

  it("bad_duration: a capability config property with format duration", async () => {
    const result = await validatePipeline(edit("checkInEvery: 30d", "checkInEvery: 30 days"), {
      capabilities: catalog,
    });
    const d = only(result.diagnostics, "bad_duration");
    expect(d.path).toBe("/spec/triggers/0/with/checkInEvery");
    expect(at(d)).toEqual([11, 29, 11, 36]);
  });

  it("cel_syntax: an incomplete expression points inside it", async () => {
    const result = await validatePipeline(edit('if: trigger.kind == "fired"', "if: trigger.kind =="), {
      capabilities: catalog,
    });
    const d = only(result.diagnostics, "cel_syntax");
    expect(d.path).toBe("/spec/steps/1/if");
    expect(at(d)).toEqual([18, 24, 18, 25]);
  });

  it("cel_type: comparing a string to an int", async () => {
    const result = await validatePipeline(edit('if: trigger.kind == "fired"', "if: trigger.kind == 5"), {
      capabilities: catalog,
    });
    const d = only(result.diagnostics, "cel_type");
    expect(d.message).toBe("no matching overload for '==' applied to (string, int)");
    expect(at(d)).toEqual([18, 11, 18, 28]);
  });

  it("cel_type: unknown field of trigger, in a quoted scalar", async () => {
    const result = await validatePipeline(
      edit('if: trigger.kind == "fired"', "if: 'trigger.knd == \"fired\"'"),
      {
        capabilities: catalog,
      },
    );
    const d = only(result.diagnostics, "cel_type");
    expect(d.message).toContain("trigger has no field 'knd'");
    expect(at(d)).toEqual([18, 12, 18, 23]);
  });

  it("cel_type: a condition that is not a bool", async () => {
    const result = await validatePipeline(edit('if: trigger.kind == "fired"', "if: trigger.kind"), {
      capabilities: catalog,
    });
    expect(only(result.diagnostics, "cel_type").message).toBe("condition must be a bool, not string");
  });

  it("unknown_step_reference: a condition on a later step", async () => {
    const text = edit(
      "      uses: email@1\n",
      '      uses: email@1\n      if: steps.release.outcome == "ok"\n',
    );
    const result = await validatePipeline(text, { capabilities: catalog });
    const d = only(result.diagnostics, "unknown_step_reference");
    expect(d.message).toContain("'release', which runs after step 'tell-guardian'");
    expect(at(d)).toEqual([15, 11, 15, 24]);
  });

  it("accepts conditions on earlier steps, with bracket syntax for dashed ids", async () => {
    const cond = `if: 'has(steps["tell-guardian"].outputs.messageId) && steps["tell-guardian"].outcome == "succeeded"'`;
    const result = await validatePipeline(edit('if: trigger.kind == "fired"', cond), {
      capabilities: catalog,
    });
    expect(result.diagnostics).toEqual([]);
  });

  it("unknown_bundle: through the resolver", async () => {
    const result = await validatePipeline(edit("bundle: family-archive", "bundle: missing"), {
      capabilities: catalog,
      resolver,
    });
    const d = only(result.diagnostics, "unknown_bundle");
    expect(d.message).toBe("bundle 'missing' does not exist");
    expect(at(d)).toEqual([19, 23, 19, 30]);
  });

  it("unknown_recipient: each missing entry", async () => {
    const result = await validatePipeline(
      edit("recipients: [alice@example.com]", "recipients: [alice@example.com, mallory@example.com]"),
      { capabilities: catalog, resolver },
    );
    const d = only(result.diagnostics, "unknown_recipient");
    expect(d.path).toBe("/spec/steps/1/with/recipients/1");
    expect(at(d)).toEqual([19, 71, 19, 90]);
  });

  it("skips reference checks without a resolver", async () => {
    const result = await validatePipeline(edit("bundle: family-archive", "bundle: missing"), {
      capabilities: catalog,
    });
    expect(result.ok).toBe(true);
  });

  it("reference_unavailable: a failing resolver is a warning, not an error", async () => {
    const failing: ReferenceResolver = {
      bundleExists: async () => {
        throw new Error("bundles service down");
      },
      recipientExists: async () => true,
    };
    const result = await validatePipeline(EXAMPLE, { capabilities: catalog, resolver: failing });
    const d = only(result.diagnostics, "reference_unavailable");
    expect(d.severity).toBe("warning");
    expect(d.message).toContain("bundles service down");
    expect(result.ok).toBe(true);
  });

  it("duplicate_id: across triggers and steps, pointing back at the first", async () => {
    const result = await validatePipeline(edit("- id: release", "- id: switch"), { capabilities: catalog });
    const d = only(result.diagnostics, "duplicate_id");
    expect(d.message).toContain("already used on line 9");
    expect(at(d)).toEqual([16, 11, 16, 17]);
  });

  it("deprecated_capability: a major served through a newer one's migrate is a warning suggesting it", async () => {
    const withEcho: CapabilityCatalog = {
      ...catalog,
      "acme/echo@2": { kind: "action", configSchema: { type: "object" } },
      "acme/echo@1": { kind: "action", configSchema: { type: "object" }, replacedBy: "acme/echo@2" },
    };
    const text = `${EXAMPLE}    - id: echo\n      uses: acme/echo@1\n      with: { text: hi }\n`;
    const result = await validatePipeline(text, { capabilities: withEcho });
    const d = only(result.diagnostics, "deprecated_capability");
    expect(d).toMatchObject({ severity: "warning", suggestion: "acme/echo@2", path: "/spec/steps/2/uses" });
    expect(d.message).toContain("'acme/echo@1' is deprecated: it runs through 'acme/echo@2'");
    expect(at(d)).toEqual([23, 13, 23, 24]);
    expect(result.ok).toBe(true);
  });

  it("unknown_secret: values whose schema says format secret-name, checked when the resolver can", async () => {
    const withSecrets: CapabilityCatalog = {
      ...catalog,
      "webhook@1": {
        kind: "trigger",
        configSchema: {
          type: "object",
          properties: {
            secretName: { type: "string", format: "secret-name" },
            nested: { type: "object", properties: { key: { type: "string", format: "secret-name" } } },
          },
        },
      },
    };
    const text = edit(
      "  steps:\n",
      "    - id: hook\n      uses: webhook@1\n      with: { secretName: hook-key, nested: { key: missing-key } }\n  steps:\n",
    );
    const asked: string[] = [];
    const secrets: ReferenceResolver = {
      ...resolver,
      secretExists: async (uses, name) => {
        asked.push(`${uses} ${name}`);
        return name === "hook-key";
      },
    };
    const result = await validatePipeline(text, { capabilities: withSecrets, resolver: secrets });
    const d = only(result.diagnostics, "unknown_secret");
    expect(d).toMatchObject({
      severity: "warning",
      path: "/spec/triggers/1/with/nested/key",
      message: "secret 'missing-key' is not set for webhook@1: the trigger fails until an admin sets it",
    });
    expect(asked.sort()).toEqual(["webhook@1 hook-key", "webhook@1 missing-key"]);
    // a name the server would refuse is a config error (the format's pattern)
    const bad = await validatePipeline(text.replace("hook-key", "9 bad"), { capabilities: withSecrets });
    expect(bad.diagnostics.map((x) => [x.code, x.path])).toEqual([
      ["config_schema", "/spec/triggers/1/with/secretName"],
    ]);
    // a resolver without secretExists checks bundles and recipients only
    expect((await validatePipeline(text, { capabilities: withSecrets, resolver })).diagnostics).toEqual([]);
  });

  it("reports several problems at once, sorted by position", async () => {
    const text = edit("uses: email@1", "uses: emial@1").replace("timeout: 1m", "timeout: soon");
    const result = await validatePipeline(text, { capabilities: catalog });
    expect(result.diagnostics.map((d) => d.code)).toEqual(["unknown_capability", "bad_duration"]);
  });
});

describe("parsePipeline", () => {
  it("parses without a catalog", () => {
    const result = parsePipeline(EXAMPLE);
    expect(result.ok).toBe(true);
    expect(result.pipeline?.spec.triggers[0]?.with).toEqual({
      checkInEvery: "30d",
      grace: "7d",
      remind: ["7d", "1d"],
    });
  });

  it("reports a missing required field on the parent key", () => {
    const result = parsePipeline(edit("      uses: grant@1\n", ""));
    const d = only(result.diagnostics, "schema");
    expect(d.message).toBe("'1' is missing required field 'uses'");
    expect(at(d).slice(0, 2)).toEqual([16, 7]);
  });

  it("gives an empty document a whole-document range", () => {
    const result = parsePipeline("");
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]?.code).toBe("schema");
    expect(at(result.diagnostics[0]!)).toEqual([1, 1, 1, 1]);
  });
});
