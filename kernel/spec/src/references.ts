/**
 * The JSON Schema annotation that marks a capability config property as naming a bundle or a recipient, so that
 * editors offer a picker there (the admin app's pipeline builder) instead of a plain text field. On a string
 * property: `{ type: "string", "x-latchflow-reference": "bundle" }`; on the items of an array of recipients:
 * `{ type: "array", items: { type: "string", "x-latchflow-reference": "recipient" } }`. Validators ignore it
 * (Ajv runs with `strict: false`); the reference checks themselves are {@link validatePipeline}'s.
 */
export const REFERENCE_KEYWORD = "x-latchflow-reference";

/** What a marked property names. */
export type ReferenceKind = "bundle" | "recipient";

/** The reference a (sub)schema is marked as, if any. */
export function referenceKind(schema: unknown): ReferenceKind | undefined {
  if (typeof schema !== "object" || schema === null) return undefined;
  const kind = (schema as Record<string, unknown>)[REFERENCE_KEYWORD];
  return kind === "bundle" || kind === "recipient" ? kind : undefined;
}
