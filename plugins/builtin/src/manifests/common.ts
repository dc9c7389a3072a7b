import type { JsonSchema } from "@latchflow/spec";
import { SECRET_NAME_FORMAT, SECRET_NAME_PATTERN } from "@latchflow/spec/secret-name";

/** The JSON Schema dialect of every built-in schema. */
export const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";

/** A Latchflow duration (`30d`, `1h30m`, `PT15M`); checked by the validator with `parseDuration`. */
export function duration(
  description: string,
  examples: readonly string[],
  extra: JsonSchema = {},
): JsonSchema {
  return { type: "string", format: "duration", description, examples, ...extra };
}

/** An RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`). */
export function dateTime(description: string, examples: readonly string[]): JsonSchema {
  return { type: "string", format: "date-time", description, examples };
}

/** One email address. */
export const email: JsonSchema = { type: "string", format: "email", maxLength: 254 };

/** A list of email addresses. */
export function emails(
  description: string,
  minItems: number,
  maxItems: number,
  examples: unknown[],
): JsonSchema {
  return { type: "array", description, minItems, maxItems, uniqueItems: true, items: email, examples };
}

/** An IANA time zone name; the runtime checks it against the tz database. */
export function timeZone(description: string): JsonSchema {
  return {
    type: "string",
    description,
    pattern: "^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}$",
    default: "UTC",
    examples: ["UTC", "Europe/Berlin", "America/New_York"],
  };
}

/**
 * The name of one of this plugin's secrets (per plugin, encrypted with the KEK); the format tells the validator
 * to check, when it can, that the secret is set.
 */
export function secretName(description: string, examples: readonly string[]): JsonSchema {
  return { type: "string", format: SECRET_NAME_FORMAT, description, pattern: SECRET_NAME_PATTERN, examples };
}

/** The name of an existing bundle; checked by the reference resolver. */
export function bundleName(description: string): JsonSchema {
  return { type: "string", description, minLength: 1, maxLength: 200, examples: ["family-archive"] };
}
