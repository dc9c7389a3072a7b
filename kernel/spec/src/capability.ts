/** A JSON Schema (draft 2020-12) as a plain object. */
export type JsonSchema = { [key: string]: unknown };

/** Whether a capability starts runs (`trigger`) or is run by them (`action`). */
export type CapabilityKind = "trigger" | "action";

/** What the validator needs to know about one installed capability major. */
export interface CapabilityDescriptor {
  kind: CapabilityKind;
  /** JSON Schema of `with:`; properties with `format: "duration"` are checked with {@link parseDuration}. */
  configSchema: JsonSchema;
  outputsSchema?: JsonSchema;
  docs?: string;
  /**
   * Set when this major is deprecated: it is served only through the `migrate` of the newer major named here
   * (`acme/sms@2`), which converts the old `with:` when a step runs. Pipelines still validate and run; the
   * validator warns (`deprecated_capability`) and suggests the replacement.
   */
  replacedBy?: string;
}

/**
 * Installed capabilities keyed by `uses` string: `"<key>@<major>"`, where key is `email` for built-ins
 * or `acme/sms` for third-party plugins.
 */
export type CapabilityCatalog = Readonly<Record<string, CapabilityDescriptor>>;

/** Answers whether referenced entities exist; injected so the spec package does no I/O itself. */
export interface ReferenceResolver {
  bundleExists(name: string): Promise<boolean>;
  recipientExists(emailOrId: string): Promise<boolean>;
  /**
   * Whether the plugin serving `uses` has a secret named `name` (values in `with:` whose config schema says
   * `format: "secret-name"`, e.g. `webhook@1`'s `secretName`); secrets are not checked without it.
   */
  secretExists?(uses: string, name: string): Promise<boolean>;
}
