/**
 * Stable diagnostic codes produced by the pipeline validator. Clients (CLI, language server, REST 422
 * bodies) may switch on these strings; never rename one, only add.
 */
export const DiagnosticCode = {
  /** The text is not well-formed YAML (tabs, bad indentation, duplicate keys, …). */
  YamlSyntax: "yaml_syntax",
  /** The document does not match the pipeline JSON Schema. */
  Schema: "schema",
  /** `uses` names no installed capability (or no installed major of it). */
  UnknownCapability: "unknown_capability",
  /** `uses` names a capability that is installed but disabled (an admin enables it); its `with:` is still checked. */
  CapabilityDisabled: "capability_disabled",
  /** `uses` names an action under `triggers`, or a trigger under `steps`. */
  WrongCapabilityKind: "wrong_capability_kind",
  /** `with:` does not match the capability's config JSON Schema (or that schema cannot be compiled). */
  ConfigSchema: "config_schema",
  /** A duration string cannot be parsed. */
  BadDuration: "bad_duration",
  /** An `if:` expression is not valid CEL. */
  CelSyntax: "cel_syntax",
  /** An `if:` expression does not type-check (or is not boolean). */
  CelType: "cel_type",
  /** An `if:` expression refers to a step that does not run before this one. */
  UnknownStepReference: "unknown_step_reference",
  /** `with.bundle` names no existing bundle. */
  UnknownBundle: "unknown_bundle",
  /** An entry of `with.recipients` names no existing recipient. */
  UnknownRecipient: "unknown_recipient",
  /** The reference resolver failed; the reference could not be checked (warning). */
  ReferenceUnavailable: "reference_unavailable",
  /** Two triggers/steps share an id. */
  DuplicateId: "duplicate_id",
  /** `uses` names a deprecated major, served through a newer major's `migrate` (warning; suggests it). */
  DeprecatedCapability: "deprecated_capability",
  /** A config value names a plugin secret (`format: "secret-name"`) that is not set (warning). */
  UnknownSecret: "unknown_secret",
} as const;

/** One of the {@link DiagnosticCode} values. */
export type DiagnosticCode = (typeof DiagnosticCode)[keyof typeof DiagnosticCode];
