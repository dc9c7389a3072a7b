import { type CapabilityCatalog, type JsonSchema, referenceKind, validatePipeline } from "@latchflow/spec";
import { describe, expect, it } from "vitest";
import { builtinCatalog, builtinManifests, catalogFromManifests } from "./catalog.js";
import { PLUGIN_API_VERSION } from "./manifests/types.js";

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

const HEADER = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata:
  name: test-pipeline
spec:
`;

const MANUAL_TRIGGER = `  triggers:
    - id: go
      uses: manual@1
`;

const EMAIL_STEP = `  steps:
    - id: notify
      uses: email@1
      with:
        to: [owner@example.com]
        subject: "Fired"
        text: "Fired by {{ trigger.kind }}"
`;

/** A pipeline whose only trigger is `trigger` (with an email step). */
const withTrigger = (trigger: string): string => `${HEADER}  triggers:\n${trigger}${EMAIL_STEP}`;
/** A pipeline run manually whose steps are `steps`. */
const withSteps = (steps: string): string => `${HEADER}${MANUAL_TRIGGER}  steps:\n${steps}`;

/** 1-based line of the only line containing `marker`. */
function lineOf(text: string, marker: string): number {
  const lines = text.split("\n");
  const hits = lines.flatMap((l, i) => (l.includes(marker) ? [i + 1] : []));
  expect(hits, `marker ${marker}`).toHaveLength(1);
  return hits[0]!;
}

async function expectValid(text: string, catalog: CapabilityCatalog = builtinCatalog()): Promise<void> {
  const result = await validatePipeline(text, { capabilities: catalog });
  expect(result.diagnostics).toEqual([]);
  expect(result.ok).toBe(true);
}

const manifests = builtinManifests;

/** Mutually exclusive config fields: setting the key drops the value from a base example. */
const EXCLUDES: Record<string, string> = { notAfter: "expiresIn" };
const capabilities = manifests.flatMap((m) => m.capabilities.map((c) => ({ manifest: m, cap: c })));

describe("built-in manifests", () => {
  it("declare the nine built-in capabilities", () => {
    expect(Object.keys(builtinCatalog()).sort()).toEqual(
      [
        "cron@1",
        "deadman@1",
        "email@1",
        "grant@1",
        "http@1",
        "manual@1",
        "publish@1",
        "schedule@1",
        "webhook@1",
      ].sort(),
    );
    const kinds = Object.fromEntries(Object.entries(builtinCatalog()).map(([k, v]) => [k, v.kind]));
    for (const t of ["cron@1", "schedule@1", "webhook@1", "manual@1", "deadman@1"])
      expect(kinds[t]).toBe("trigger");
    for (const a of ["email@1", "publish@1", "grant@1", "http@1"]) expect(kinds[a]).toBe("action");
  });

  it.each(manifests.map((m) => [m.name, m] as const))("%s has the manifest header", (_, m) => {
    expect(m.name).toMatch(/^latchflow-[a-z]+$/);
    expect(m.version).toBe("1.0.0");
    expect(m.apiVersion).toBe(PLUGIN_API_VERSION);
    expect(m.capabilities).toHaveLength(1);
    expect(m.name).toBe(`latchflow-${m.capabilities[0]!.key}`);
    expect(m.permissions.length).toBeGreaterThan(0);
    for (const p of m.permissions) expect(p.reason.length).toBeGreaterThan(0);
    const names = m.permissions.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    if (m.capabilities[0]!.kind === "trigger") expect(names).toContain("emit");
    else expect(names).not.toContain("emit");
  });

  it("only http@1 may fetch, and only with admin approval", () => {
    for (const m of manifests) {
      const fetch = m.permissions.find((p) => p.name === "fetch");
      if (m.name === "latchflow-http") expect(fetch).toMatchObject({ hosts: ["*"], requiresApproval: true });
      else expect(fetch).toBeUndefined();
    }
  });

  it.each(capabilities.map(({ cap }) => [`${cap.key}@${cap.major}`, cap] as const))(
    "%s: closed config schema, every property described, docs one paragraph",
    (_, cap) => {
      const schema = cap.configSchema;
      expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
      expect(schema.type).toBe("object");
      expect(schema.additionalProperties).toBe(false);
      const props = schema.properties as Record<string, JsonSchema>;
      for (const name of (schema.required as string[] | undefined) ?? []) expect(props).toHaveProperty(name);
      for (const [name, prop] of Object.entries(props)) {
        expect(typeof prop.description, `${name}.description`).toBe("string");
        expect(Array.isArray(prop.examples), `${name}.examples`).toBe(true);
      }
      expect(Array.isArray(schema.examples)).toBe(true);
      expect(cap.outputsSchema.type).toBe("object");
      expect(cap.docs).not.toContain("\n\n");
      expect(cap.docs.length).toBeGreaterThan(100);
    },
  );

  it("mark every duration property with format: duration", () => {
    const durations: Record<string, string[]> = {
      "deadman@1": ["checkInEvery", "grace"],
      "publish@1": ["expiresIn"],
      "grant@1": ["cooldown", "expiresIn"],
      "http@1": ["timeout"],
    };
    for (const [uses, names] of Object.entries(durations)) {
      const props = builtinCatalog()[uses]!.configSchema.properties as Record<string, JsonSchema>;
      for (const n of names)
        expect(props[n], `${uses} ${n}`).toMatchObject({ type: "string", format: "duration" });
    }
    const remind = (builtinCatalog()["deadman@1"]!.configSchema.properties as Record<string, JsonSchema>)
      .remind!;
    expect(remind.items).toMatchObject({ format: "duration" });
  });

  it("mark the bundle and recipient references for editors' pickers, and nothing else", () => {
    const marked: string[] = [];
    for (const [uses, cap] of Object.entries(builtinCatalog())) {
      for (const [name, schema] of Object.entries(
        cap.configSchema.properties as Record<string, JsonSchema>,
      )) {
        const kind = referenceKind(schema) ?? referenceKind(schema.items);
        if (kind) marked.push(`${uses} ${name}: ${kind}`);
      }
    }
    expect(marked.sort()).toEqual([
      "grant@1 bundle: bundle",
      "grant@1 recipients: recipient",
      "publish@1 bundle: bundle",
    ]);
  });

  it("refuses a catalog with the same capability twice", () => {
    expect(() => catalogFromManifests([manifests[0]!, manifests[0]!])).toThrow(/declared twice/);
  });

  it("returns the same frozen catalog every time", () => {
    expect(builtinCatalog()).toBe(builtinCatalog());
    expect(Object.isFrozen(builtinCatalog())).toBe(true);
  });
});

describe("schemas compile and examples validate (through validatePipeline)", () => {
  it.each(capabilities.map(({ cap }) => [`${cap.key}@${cap.major}`, cap] as const))(
    "%s: every config example validates",
    async (uses, cap) => {
      const examples = cap.configSchema.examples as unknown[];
      const props = cap.configSchema.properties as Record<string, JsonSchema>;
      const configs: unknown[] = [...examples];
      // Each property example, on top of the first whole-config example (minus a field it excludes).
      for (const [name, prop] of Object.entries(props)) {
        for (const value of prop.examples as unknown[]) {
          const base: Record<string, unknown> = { ...(examples[0] as object) };
          if (name in EXCLUDES) delete base[EXCLUDES[name]!];
          configs.push({ ...base, [name]: value });
        }
      }
      for (const config of configs) {
        const item = `    - id: it\n      uses: ${uses}\n      with: ${JSON.stringify(config)}\n`;
        await expectValid(cap.kind === "trigger" ? withTrigger(item) : withSteps(item));
      }
    },
  );

  it.each(capabilities.map(({ cap }) => [`${cap.key}@${cap.major}`, cap] as const))(
    "%s: the outputs schema compiles",
    async (_, cap) => {
      // Reuse the validator's Ajv: an outputs schema posing as a config schema must compile.
      const catalog: CapabilityCatalog = { "out@1": { kind: "trigger", configSchema: cap.outputsSchema } };
      const text = withTrigger("    - id: it\n      uses: out@1\n      with: {}\n");
      const result = await validatePipeline(text, { capabilities: { ...catalog, ...builtinCatalog() } });
      for (const d of result.diagnostics) expect(d.message).not.toMatch(/cannot be compiled/);
    },
  );
});

describe("pipelines against builtinCatalog()", () => {
  it("validates the ARCHITECTURE §3.4 example with no diagnostics", async () => {
    await expectValid(EXAMPLE);
  });

  const good: Record<string, string> = {
    "cron@1": withTrigger(`    - id: weekly
      uses: cron@1
      with:
        schedule: "0 9 * * MON"
        timeZone: Europe/Berlin
        missedRun: runOnce
`),
    "schedule@1": withTrigger(`    - id: new-year
      uses: schedule@1
      with:
        at: 2030-01-01T09:00:00+01:00
        timeZone: Europe/Paris
`),
    "webhook@1": withTrigger(`    - id: hook
      uses: webhook@1
      with:
        secretName: ci-key
        maxBodyBytes: 1048576
        toleranceSeconds: 300
`),
    "manual@1": withTrigger(`    - id: go
      uses: manual@1
      with:
        payloadSchema:
          type: object
          required: [reason]
          properties:
            reason: { type: string, minLength: 1 }
`),
    "deadman@1": withTrigger(`    - id: switch
      uses: deadman@1
      with:
        checkInEvery: 30d
        grace: P7D
        remind: [7d, 1d, 2h]
        remindTo: [me@example.com, spouse@example.com]
        pausedUntil: "2030-09-01T00:00:00Z"
`),
    "email@1": withSteps(`    - id: mail
      uses: email@1
      with:
        to: [alice@example.com, bob@example.com]
        cc: [lawyer@example.com]
        subject: "Release for {{ trigger.payload.reason }}"
        text: |
          Hello,
          the archive is at {{ steps.publish.outputs.url }}.
        html: "<p>The archive is <a href=\\"{{ steps.publish.outputs.url }}\\">here</a>.</p>"
`),
    "publish@1": withSteps(`    - id: publish
      uses: publish@1
      with:
        bundle: family-archive
        expiresIn: 7d
        maxUses: 0
    - id: send-link
      uses: email@1
      if: steps.publish.outcome == "succeeded"
      with:
        to: [alice@example.com]
        subject: "Your download link"
        text: "{{ steps.publish.outputs.url }} (until {{ steps.publish.outputs.expiresAt }})"
`),
    "grant@1": withSteps(`    - id: release
      uses: grant@1
      with:
        bundle: family-archive
        recipients: [alice@example.com, bob@example.com]
        maxDownloads: 3
        cooldown: 1h
        notBefore: "2030-01-01T00:00:00Z"
        notAfter: "2030-12-31T23:59:59Z"
        passphrase: correct horse battery staple
        notify: true
        message: "Dad wanted you to have these."
        requireAcknowledgement: true
`),
    "http@1": withSteps(`    - id: call
      uses: http@1
      timeout: 45s
      with:
        url: https://hooks.example.com/latchflow
        method: PUT
        headers:
          X-Source: latchflow
          Content-Type: application/json
        body: { event: released, run: "{{ trigger.firedAt }}", tags: [a, b], n: 1 }
        signWithSecret: partner-hook-key
        timeout: 30s
`),
  };

  it.each(Object.entries(good))("a realistic %s pipeline validates", async (_, text) => {
    await expectValid(text);
  });

  /** [capability, pipeline with a `# <-` marker on the bad line, expected code] */
  const bad: [string, string, "config_schema" | "bad_duration"][] = [
    [
      "cron@1",
      withTrigger(`    - id: weekly
      uses: cron@1
      with:
        schedule: "every monday" # <-
`),
      "config_schema",
    ],
    [
      "cron@1 missedRun",
      withTrigger(`    - id: weekly
      uses: cron@1
      with:
        schedule: "0 9 * * MON"
        missedRun: catchUp # <-
`),
      "config_schema",
    ],
    [
      "schedule@1 (no offset)",
      withTrigger(`    - id: once
      uses: schedule@1
      with:
        at: "2030-01-01T09:00:00" # <-
`),
      "config_schema",
    ],
    [
      "webhook@1",
      withTrigger(`    - id: hook
      uses: webhook@1
      with:
        secretName: ci-key
        maxBodyBytes: 2000000 # <-
`),
      "config_schema",
    ],
    [
      "manual@1",
      withTrigger(`    - id: go
      uses: manual@1
      with:
        payloadSchema: "object" # <-
`),
      "config_schema",
    ],
    [
      "deadman@1",
      withTrigger(`    - id: switch
      uses: deadman@1
      with:
        checkInEvery: 30d
        remind: [7d, 1 day] # <-
`),
      "bad_duration",
    ],
    [
      "deadman@1 checkInEvery",
      withTrigger(`    - id: switch
      uses: deadman@1
      with:
        checkInEvery: 1month # <-
`),
      "bad_duration",
    ],
    [
      "email@1",
      withSteps(`    - id: mail
      uses: email@1
      with:
        to: [alice@example.com]
        subject: "${"x".repeat(201)}" # <-
        text: hi
`),
      "config_schema",
    ],
    [
      "email@1 to",
      withSteps(`    - id: mail
      uses: email@1
      with:
        to: [not-an-email] # <-
        subject: hi
        text: hi
`),
      "config_schema",
    ],
    [
      "publish@1",
      withSteps(`    - id: publish
      uses: publish@1
      with:
        bundle: family-archive
        expiresIn: 7 days # <-
`),
      "bad_duration",
    ],
    [
      "publish@1 maxUses",
      withSteps(`    - id: publish
      uses: publish@1
      with:
        bundle: family-archive
        expiresIn: 7d
        maxUses: -1 # <-
`),
      "config_schema",
    ],
    [
      "grant@1",
      withSteps(`    - id: release
      uses: grant@1
      with:
        bundle: family-archive
        recipients: [] # <-
`),
      "config_schema",
    ],
    [
      "grant@1 notAfter with expiresIn",
      withSteps(`    - id: release
      uses: grant@1
      with:
        bundle: family-archive
        recipients: [alice@example.com]
        notAfter: "2030-12-31T23:59:59Z" # <-
        expiresIn: 30d
`),
      "config_schema",
    ],
    [
      "grant@1 requireAcknowledgement without a message",
      withSteps(`    - id: release
      uses: grant@1
      with: # <-
        bundle: family-archive
        recipients: [alice@example.com]
        requireAcknowledgement: true
`),
      "config_schema",
    ],
    [
      "grant@1 message over MESSAGE_RULE",
      withSteps(`    - id: release
      uses: grant@1
      with:
        bundle: family-archive
        recipients: [alice@example.com]
        message: "${"x".repeat(4001)}" # <-
`),
      "config_schema",
    ],
    [
      "http@1 (Authorization header)",
      withSteps(`    - id: call
      uses: http@1
      with:
        url: https://hooks.example.com/x
        headers:
          authorization: Bearer x # <-
`),
      "config_schema",
    ],
    [
      "http@1 (plain http)",
      withSteps(`    - id: call
      uses: http@1
      with:
        url: http://hooks.example.com/x # <-
`),
      "config_schema",
    ],
    [
      "http@1 timeout over 30s",
      withSteps(`    - id: call
      uses: http@1
      with:
        url: https://hooks.example.com/x
        timeout: 1m # <-
`),
      "config_schema",
    ],
    [
      "http@1 method",
      withSteps(`    - id: call
      uses: http@1
      with:
        url: https://hooks.example.com/x
        method: GET # <-
`),
      "config_schema",
    ],
  ];

  it.each(bad)("a bad %s config fails at the right line", async (_, text, code) => {
    const result = await validatePipeline(text, { capabilities: builtinCatalog() });
    expect(result.ok).toBe(false);
    const line = lineOf(text, "# <-");
    expect(result.diagnostics.map((d) => [d.code, d.range.start.line])).toContainEqual([code, line]);
    expect(result.diagnostics.every((d) => d.range.start.line === line)).toBe(true);
  });

  it("a missing required field is reported on the with: block", async () => {
    const text = withTrigger(`    - id: hook
      uses: webhook@1
      with: # <-
        maxBodyBytes: 1024
`);
    const result = await validatePipeline(text, { capabilities: builtinCatalog() });
    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        code: "config_schema",
        message: expect.stringContaining("secretName"),
        range: expect.objectContaining({ start: expect.objectContaining({ line: lineOf(text, "# <-") }) }),
      }),
    ]);
  });

  it("suggests the right field name for a typo", async () => {
    const text = withSteps(`    - id: publish
      uses: publish@1
      with:
        bundle: family-archive
        expiresin: 7d # <-
`);
    const result = await validatePipeline(text, { capabilities: builtinCatalog() });
    expect(result.diagnostics).toContainEqual(
      expect.objectContaining({ code: "config_schema", suggestion: "expiresIn" }),
    );
  });
});
