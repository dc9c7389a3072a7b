import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parseDuration } from "./duration.js";
import { SECRET_NAME_FORMAT, SECRET_NAME_PATTERN } from "./secret-name.js";

/** The Ajv class for draft 2020-12 (CommonJS interop). */
export type Ajv = InstanceType<typeof Ajv2020.default>;

/** Formats from ajv-formats we register; `duration` is ours (Latchflow durations, not only ISO 8601). */
const STANDARD_FORMATS = [
  "date",
  "time",
  "date-time",
  "uri",
  "uri-reference",
  "uri-template",
  "url",
  "email",
  "hostname",
  "ipv4",
  "ipv6",
  "regex",
  "uuid",
  "json-pointer",
  "relative-json-pointer",
  "byte",
  "int32",
  "int64",
  "float",
  "double",
  "password",
  "binary",
] as const;

/**
 * A fresh Ajv (draft 2020-12) with all errors reported, lenient about unknown keywords (plugin schemas
 * may carry annotations), the standard formats, the Latchflow `duration` format and `secret-name` (the name of one of the
 * capability's plugin's secrets).
 */
export function createAjv(): Ajv {
  const ajv = new Ajv2020.default({ allErrors: true, strict: false, verbose: true, validateFormats: true });
  addFormats.default(ajv, { formats: [...STANDARD_FORMATS] });
  ajv.addFormat("duration", { type: "string", validate: (s: string) => parseDuration(s).ok });
  const secretName = new RegExp(SECRET_NAME_PATTERN);
  ajv.addFormat(SECRET_NAME_FORMAT, { type: "string", validate: (s: string) => secretName.test(s) });
  return ajv;
}
