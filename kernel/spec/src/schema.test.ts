import { describe, expect, it } from "vitest";
import { createAjv } from "./ajv.js";
import type { CapabilityCatalog } from "./capability.js";
import { parsePipeline } from "./parse-pipeline.js";
import { PIPELINE_SCHEMA_ID, pipelineSchema } from "./schema.js";
import { schemaWithCapabilities } from "./schema-with-capabilities.js";

const text = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: hello }
spec:
  triggers: [{ id: go, uses: manual@1 }]
  steps:
    - id: sms
      uses: acme/sms@2
      with: { to: "+15550100", wait: 5m }
`;

const catalog: CapabilityCatalog = {
  "manual@1": { kind: "trigger", configSchema: { type: "object", additionalProperties: false } },
  "acme/sms@2": {
    kind: "action",
    configSchema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      required: ["to"],
      additionalProperties: false,
      properties: { to: { $ref: "#/$defs/phone" }, wait: { type: "string", format: "duration" } },
      $defs: { phone: { type: "string", pattern: "^\\+[0-9]{6,15}$" } },
    },
    docs: "Sends an SMS.",
  },
};

describe("pipelineSchema", () => {
  it("is a draft 2020-12 schema with a stable $id", () => {
    expect(pipelineSchema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(pipelineSchema.$id).toBe(PIPELINE_SCHEMA_ID);
    expect(Object.isFrozen(pipelineSchema)).toBe(true);
  });

  it("accepts a valid document and rejects a bad apiVersion", () => {
    const validate = createAjv().compile(pipelineSchema);
    const doc = parsePipeline(text).pipeline;
    expect(validate(doc)).toBe(true);
    expect(validate({ ...doc, apiVersion: "latchflow.dev/v2" })).toBe(false);
  });
});

describe("schemaWithCapabilities", () => {
  const merged = schemaWithCapabilities(catalog);
  const validate = createAjv().compile(merged);
  const doc = parsePipeline(text).pipeline!;
  const withSms = (w: Record<string, unknown>) => ({
    ...doc,
    spec: { ...doc.spec, steps: [{ ...doc.spec.steps[0]!, with: w }] },
  });

  it("accepts a config matching the capability's schema (own $defs and $ref kept working)", () => {
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  it("rejects a config that breaks the capability's schema", () => {
    expect(validate(withSms({ to: "nope" }))).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath === "/spec/steps/0/with/to")).toBe(true);
    expect(validate(withSms({ to: "+15550100", wait: "5 parsecs" }))).toBe(false);
  });

  it("attaches configs by uses and kind, lists uses for completion, and leaves the inputs alone", () => {
    const defs = merged.$defs as Record<string, Record<string, unknown>>;
    expect((defs.step!.allOf as unknown[]).length).toBe(1);
    expect((defs.trigger!.allOf as unknown[]).length).toBe(1);
    expect(defs.uses!.examples).toEqual(["acme/sms@2", "manual@1"]);
    expect(defs["capability:acme/sms@2"]!.description).toBe("Sends an SMS.");
    expect(pipelineSchema.$defs).not.toHaveProperty("capability:manual@1");
    expect(catalog["acme/sms@2"]!.configSchema.$schema).toBeDefined();
  });

  it("marks a deprecated major's uses deprecated (JSON Schema's annotation, which YAML editors show)", () => {
    const old = schemaWithCapabilities({
      ...catalog,
      "acme/sms@1": { kind: "action", configSchema: { type: "object" }, replacedBy: "acme/sms@2" },
    });
    const branches = (old.$defs as Record<string, { allOf: { then: { properties: object } }[] }>).step!.allOf;
    expect(branches.map((b) => b.then.properties)).toEqual([
      {
        with: { $ref: expect.stringContaining("acme%2Fsms%401") },
        uses: { deprecated: true, description: "Deprecated: replaced by acme/sms@2." },
      },
      { with: { $ref: expect.stringContaining("acme%2Fsms%402") } },
    ]);
    expect(createAjv().compile(old)(doc)).toBe(true);
  });
});
